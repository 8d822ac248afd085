import TandemCore

/// Every strategy that ships with Tandem: one line each. The registry, `tandem list`, the
/// generated docs and the strategy meta-test all read this list.
public enum BuiltInStrategies {
    public static let all: [any RegisteredStrategy.Type] = [
        EqualWeighting.self,
        UncertaintyWeighting.self,
        DynamicWeightAverage.self,
        GradNorm.self,
        PCGrad.self,
        MGDA.self,
        ImpartialAuxiliaryLearning.self,
        AutoLambda.self,
        OnlineLearningAuxiliaryWeights.self,
        GradientCosineSimilarity.self,
        TaskMetaTransfer.self,
    ]
}
