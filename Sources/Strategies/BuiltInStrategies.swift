import TandemCore

/// Every strategy that ships with Tandem: one line each. The registry, `tandem list`, the
/// generated docs and the strategy meta-test all read this list.
public enum BuiltInStrategies {
    public static let all: [any RegisteredStrategy.Type] = [
        EqualWeighting.self,
        LinearScalarisation.self,
        UncertaintyWeighting.self,
        DynamicWeightAverage.self,
        GradNorm.self,
        PCGrad.self,
        MGDA.self,
        ImpartialAuxiliaryLearning.self,
        AutoLambda.self,
        OnlineLearningAuxiliaryWeights.self,
        GradientCosineSimilarity.self,
        CAGrad.self,
        IMTLL.self,
        IMTLG.self,
        IMTL.self,
        NashMTL.self,
        AlignedMTL.self,
        GradVac.self,
        GradDrop.self,
        RandomLossWeighting.self,
        UPGrad.self,
        DualProj.self,
        FAMO.self,
        FairGrad.self,
        ConFIG.self,
        ExcessMTL.self,
        DBMTL.self,
        MoCo.self,
        PCD.self,
        SDMGrad.self,
        ScaleInvariant.self,
        SmoothTchebycheff.self,
        EveryKSteps.self,
        TaskMetaTransfer.self,
        IncreasedTransfer.self,
        StageCombination.self,
    ]
}
