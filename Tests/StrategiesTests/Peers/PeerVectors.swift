import Foundation
import XCTest
import TandemStrategies

/// The peer vectors of `Tests/Fixtures/peers/` (written by its `generate.py`, which runs LibMTL's
/// and torchjd's own code): the shared inputs and one file per peer and method.
enum PeerVectors {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/peers")

    /// One gradient case: G (T×P, float32 values), losses.
    struct Case: Decodable {
        var name: String
        var family: String
        var seed: Int
        var tasks: Int
        var parameters: Int
        var gradients: [[Double]]
        var losses: [Double]

        var rows: [[Float]] { gradients.map { $0.map(Float.init) } }
        var matrix: TaskGradientMatrix { try! TaskGradientMatrix(rows: rows) }
        var gram: [[Double]] { matrix.gram() }

        /// Σ_t w_t g_t, in Double.
        func direction(_ weights: [Double]) -> [Double] {
            precondition(weights.count == tasks, "\(weights.count) weights for \(tasks) tasks")
            return (0..<parameters).map { p in (0..<tasks).reduce(0) { $0 + weights[$1] * gradients[$1][p] } }
        }
    }

    /// One GradDrop case at the representation: h_t (B×D per task) and the layer input A (B×D).
    struct RepresentationCase: Decodable {
        var name: String
        var tasks: Int
        var batch: Int
        var features: Int
        var representationGradients: [[[Double]]]
        var inputs: [[Double]]
    }

    struct Inputs: Decodable {
        var cases: [Case]
        var representationCases: [RepresentationCase]

        /// The fixture writes float32 values as their shortest decimals; rounding to Float gives
        /// back exactly the values the peers computed with.
        var exact: Inputs {
            var copy = self
            for k in copy.cases.indices {
                copy.cases[k].gradients = copy.cases[k].gradients.map { $0.map(PeerVectors.float32) }
                copy.cases[k].losses = copy.cases[k].losses.map(PeerVectors.float32)
            }
            for k in copy.representationCases.indices {
                copy.representationCases[k].representationGradients = copy.representationCases[k].representationGradients.map { $0.map { $0.map(PeerVectors.float32) } }
                copy.representationCases[k].inputs = copy.representationCases[k].inputs.map { $0.map(PeerVectors.float32) }
            }
            return copy
        }
    }

    static func float32(_ value: Double) -> Double { Double(Float(value)) }

    /// What a peer returned for one case (the fields a method has; the rest nil).
    struct Result: Decodable {
        var `case`: String
        var error: String?
        var direction: [Double]?
        var weights: [Double]?
        var reportedWeights: [Double]?
        var value: Double?
        var draw: [Double]?
        var thresholds: [Double]?
        var lossScale: [Double]?
        var lossScaleGradient: [Double]?
        var bargainingResidual: Double?
        var steps: [Step]?
    }

    /// One step of a stateful method.
    struct Step: Decodable {
        var direction: [Double]?
        var weights: [Double]?
        var orders: [[Int]]?
        var permutations: [[Int]]?
        var targets: [[Double]]?
        var losses: [Double]?
        var lossesAfter: [Double]?
        var logits: [Double]?
        /// The step's gradients are diag(rowScales) G (stateful aggregators called on varying rows).
        var rowScales: [Double]?
        /// The step's losses are lossScales ⊙ L.
        var lossScales: [Double]?
        /// SDMGrad's second batch: A = (diag(rowScales) G)(diag(secondRowScales) G)ᵀ.
        var secondRowScales: [Double]?
    }

    /// A GradDrop result has a B×D direction.
    struct RepresentationResult: Decodable {
        var `case`: String
        var direction: [[Double]]
        var thresholds: [Double]
    }

    struct File<R: Decodable>: Decodable {
        var peer: String
        var version: String
        var method: String
        var results: [R]
    }

    static let inputs: Inputs = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("inputs.json"))
        return try! JSONDecoder().decode(Inputs.self, from: data).exact
    }()

    static func caseNamed(_ name: String) -> Case { inputs.cases.first { $0.name == name }! }

    /// `vectors/<peer>.<method>.json`.
    static func load<R: Decodable>(_ peer: String, _ method: String, as type: R.Type = Result.self) throws -> File<R> {
        let url = directory.appendingPathComponent("vectors/\(peer).\(method).json")
        return try JSONDecoder().decode(File<R>.self, from: Data(contentsOf: url))
    }
}

/// `‖a − b‖₂ / ‖b‖₂` (or the absolute norm when b = 0).
func relativeDeviation(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths \(a.count) and \(b.count)")
    let difference = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    let norm = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? difference / norm : difference
}

/// Compares our direction with a peer's over every case of a peer file; returns the largest
/// relative deviation (and prints it, for the record in docs/strategies-peers.md).
@discardableResult
func assertAgreesWithPeer(_ peer: String, _ method: String, tolerance: Double = 1e-3,
                          skip: (PeerVectors.Case, PeerVectors.Result) -> Bool = { _, _ in false },
                          file: StaticString = #filePath, line: UInt = #line,
                          ours: (PeerVectors.Case, PeerVectors.Result) throws -> [Double]) throws -> Double {
    let vectors = try PeerVectors.load(peer, method)
    var largest = 0.0, compared = 0, worst = ""
    for result in vectors.results {
        guard result.error == nil, let expected = result.direction else { continue }
        let input = PeerVectors.caseNamed(result.case)
        if skip(input, result) { continue }
        let direction = try ours(input, result)
        XCTAssertEqual(direction.count, expected.count, "\(peer) \(method) \(result.case): direction length", file: file, line: line)
        guard direction.count == expected.count else { continue }
        let deviation = relativeDeviation(direction, expected)
        compared += 1
        if deviation > largest { largest = deviation; worst = result.case }
        XCTAssertLessThanOrEqual(deviation, tolerance, "\(peer) \(vectors.version) \(method) \(result.case)", file: file, line: line)
    }
    XCTAssertGreaterThan(compared, 0, "\(peer) \(method): no case compared", file: file, line: line)
    print("peer-agreement \(peer) \(vectors.version) \(method): \(compared) cases, max relative deviation \(largest) (\(worst))")
    return largest
}

