/// Every strategy's pinned vectors (one array per strategy file in this folder).
enum PinnedVectors {
    static let all: [PinnedVector] = [
        equalWeighting, uncertaintyWeighting, dynamicWeightAverage, gradNorm, pcGrad, mgda, impartialAuxiliaryLearning,
        autoLambda, onlineAuxiliaryWeights, gradientCosineSimilarity,
        caGrad, imtlL, imtlG, imtl, nashMTL, alignedMTL, gradVac, gradDrop, randomLossWeighting, upGrad, dualProj, famo, fairGrad,
        scaleInvariant, smoothTchebycheff, everyKSteps,
        linearScalarisation, conFIG, excessMTL, dbMTL, moCo, pcd, sdmGrad, moDo, crMOGM,
        taskMetaTransfer,
        increasedTransfer, stageCombination,
    ].flatMap { $0 }
}
