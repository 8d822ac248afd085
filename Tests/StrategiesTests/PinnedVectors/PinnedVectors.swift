/// Every strategy's pinned vectors (one array per strategy file in this folder).
enum PinnedVectors {
    static let all: [PinnedVector] = [
        equalWeighting, uncertaintyWeighting, dynamicWeightAverage, gradNorm, pcGrad, mgda, impartialAuxiliaryLearning,
        autoLambda, onlineAuxiliaryWeights, gradientCosineSimilarity, taskMetaTransfer,
    ].flatMap { $0 }
}
