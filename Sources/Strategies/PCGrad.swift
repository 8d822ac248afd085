import TandemCore

/// PCGrad — gradient surgery (Yu, Kumar, Gupta, Levine, Hausman & Finn, NeurIPS 2020), §5.
///
/// For each task i: p_i ← g_i; for j in a fresh random order of the other tasks: if p_i·g_j < 0,
/// p_i ← p_i − (p_i·g_j / ‖g_j‖²) g_j (projection onto the normal plane of the *original* g_j).
/// The encoder receives d = Σ_i p_i (`sum`, the paper) or the mean. Heads get their own gradients.
/// Level: the concatenated shared parameters (the reference); `representation` applies the same
/// surgery to the gradients at z — cheaper, not equivalent, labelled as a variant. Task gradients
/// are those of the decoder-weighted losses (equal weights unless composed with another decoder).
public final class PCGrad: GradientCombiner, DecoderStage, EncoderStage {
    public enum Level: String, CaseIterable, Sendable { case parameters, representation }
    public enum Reduction: String, CaseIterable, Sendable { case sum, mean }

    public let name: String
    public let level: Level
    public let reduction: Reduction
    public var ownParameters = Parameters()
    public var decoder: any DecoderStage { self }
    public var encoder: any EncoderStage { self }
    public var requirements: CombinerRequirements { level == .parameters ? .sharedParameterGradients : .representationGradients }
    public private(set) var generator: SeededGenerator

    public init(level: Level = .parameters, reduction: Reduction = .sum, seed: UInt64 = 0, name: String = "pcgrad") {
        self.level = level
        self.reduction = reduction
        self.name = name
        generator = SeededGenerator(seed: seed)
    }

    /// The projected gradients p_i for explicit orders (`orders[i]` lists the tasks j ≠ i).
    public static func project(_ gradients: [[Float]], orders: [[Int]]) -> [[Float]] {
        let squaredNorms = gradients.map { VectorMath.dot($0, $0) }
        return gradients.indices.map { i in
            var p = gradients[i]
            for j in orders[i] where j != i {
                let product = VectorMath.dot(p, gradients[j])
                if product < 0 && squaredNorms[j] > 0 { VectorMath.addScaled(&p, gradients[j], -product / squaredNorms[j]) }
            }
            return p
        }
    }

    public func decoderLoss(_ losses: [String: Tensor], ownParameters: Parameters, context: StepContext) -> Tensor {
        context.taskNames.map { losses[$0]! }.reduce(Tensor(0), +)
    }

    public func encoderGradient(_ context: StepContext) throws -> EncoderGradient {
        let names = context.taskNames
        var orders: [[Int]] = []
        for i in names.indices {
            var others = names.indices.filter { $0 != i }
            others.shuffle(using: &generator)
            orders.append(others)
        }
        let weights = names.map { context.decoderWeights[$0] ?? 1 }
        let scale: Float = reduction == .sum ? 1 : 1 / Float(names.count)
        switch level {
        case .parameters:
            let perTask = context.sharedParameterGradients()
            let template = perTask[names[0]]!
            let rows = zip(names, weights).map { name, w in perTask[name]!.flattened().scalars.map { $0 * w } }
            let projected = PCGrad.project(rows, orders: orders)
            let combined = VectorMath.sum(projected).map { $0 * scale }
            return .sharedParameters(Parameters(unflattening: Tensor(shape: [combined.count], scalars: combined), like: template))
        case .representation:
            let perTask = context.representationGradients()
            let shape = perTask[names[0]]!.shape
            let rows = zip(names, weights).map { name, w in perTask[name]!.scalars.map { $0 * w } }
            let combined = VectorMath.sum(PCGrad.project(rows, orders: orders)).map { $0 * scale }
            return .representation(Tensor(shape: shape, scalars: combined))
        }
    }

    public func saveState() -> StrategyState { StrategyState(words: ["generator": generator.state]) }
    public func restoreState(_ state: StrategyState) throws { generator = try state.generator("generator") }
}

/// Dense vector helpers (Double accumulation) shared by the gradient-level strategies.
public enum VectorMath {
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of lengths \(a.count) and \(b.count)")
        var total = 0.0
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
            for i in 0..<x.count { total += Double(x[i]) * Double(y[i]) }
        } }
        return Float(total)
    }

    public static func norm(_ a: [Float]) -> Float { dot(a, a).squareRoot() }

    /// a += s·b.
    public static func addScaled(_ a: inout [Float], _ b: [Float], _ s: Float) {
        a.withUnsafeMutableBufferPointer { x in b.withUnsafeBufferPointer { y in
            for i in 0..<x.count { x[i] += s * y[i] }
        } }
    }

    public static func sum(_ rows: [[Float]]) -> [Float] {
        var total = [Float](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows { addScaled(&total, row, 1) }
        return total
    }

    /// The Gram matrix of `rows` in Double.
    public static func gram(_ rows: [[Float]]) -> [[Double]] {
        rows.map { a in rows.map { b in
            var total = 0.0
            a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in for i in 0..<x.count { total += Double(x[i]) * Double(y[i]) } } }
            return total
        } }
    }
}
