import Dispatch
import Foundation
import TandemCore

/// The embedded default data set: random indoor scenes rendered analytically, giving the NYUv2 task
/// triple — semantic segmentation, depth and surface normals — for an RGB input, at any resolution,
/// with no download.
///
/// Each scene is a box-shaped room (floor, four walls, ceiling) with a random number of boxes,
/// spheres and cylinders of several object classes standing on the floor or on each other, thin
/// pictures/TVs/windows on the walls, a random camera pose and a point light. Sample `i` of a set
/// with seed `s` is rendered from a generator derived from (`s`, `i`) alone, so it is the same
/// whichever samples are rendered before it, on which thread, or on which machine (see
/// `SceneRenderer` for the floating-point caveat).
///
/// Tasks: `segmentation` (`options.classCount` classes, −1 = undefined), `depth` (metres, z-depth,
/// 0 = invalid) and `normals` (unit, camera frame x right / y down / z forward, all-zero = invalid).
public struct SyntheticScenes: MultiTaskDataset {
    public let options: SyntheticScenesOptions
    public let scheme: SceneClassScheme
    public let name: String

    /// A data set with the given options (throws for invalid options, e.g. fewer than 4 classes).
    public init(options: SyntheticScenesOptions = SyntheticScenesOptions()) throws {
        try options.validate()
        self.options = options
        self.scheme = try SceneClassScheme.standard(classCount: options.classCount)
        self.name = "synthetic-scenes"
    }

    public var count: Int { options.count }
    public var inputShape: [Int] { [3, options.height, options.width] }

    public var tasks: [TaskSpec] {
        let (h, w) = (options.height, options.width)
        return [
            TaskSpec(name: DenseTaskName.segmentation, kind: .segmentation(classes: options.classCount), labelShape: [h, w]),
            TaskSpec(name: DenseTaskName.depth, kind: .depth, labelShape: [1, h, w]),
            TaskSpec(name: DenseTaskName.normals, kind: .normals, labelShape: [3, h, w]),
        ]
    }

    /// The scene description of sample `index` (geometry, camera, light, materials).
    public func scene(at index: Int) -> SyntheticScene {
        var generator = SeedDerivation.generator(options.seed, index: index, salt: .scene)
        return SyntheticScene.random(options: options, scheme: scheme, generator: &generator)
    }

    /// The independent scene whose geometry sample `index`'s depth and normals show under
    /// `auxiliaryTargets: unrelated`.
    public func unrelatedScene(at index: Int) -> SyntheticScene {
        var generator = SeedDerivation.generator(options.seed, index: index, salt: .unrelatedScene)
        return SyntheticScene.random(options: options, scheme: scheme, generator: &generator)
    }

    /// Renders sample `index`.
    public func sample(at index: Int) throws -> SceneSample {
        try checkIndex(index)
        var noise = SeedDerivation.generator(options.seed, index: index, salt: .imageNoise)
        var sample = SceneRenderer.render(scene(at: index), height: options.height, width: options.width,
                                          imageNoise: options.imageNoise, noiseGenerator: &noise,
                                          invalidDepthOnWindows: options.invalidDepthOnWindows)
        if options.auxiliaryTargets == .unrelated {
            var unused = SeededGenerator(seed: 0)
            let decoy = SceneRenderer.render(unrelatedScene(at: index), height: options.height, width: options.width,
                                             imageNoise: 0, noiseGenerator: &unused,
                                             invalidDepthOnWindows: options.invalidDepthOnWindows)
            sample.depth = decoy.depth
            sample.normals = decoy.normals
        }
        return sample
    }

    public func example(at index: Int) throws -> Example { try sample(at: index).example() }

    /// Renders the samples at `indices`, spread over `threads` threads (each sample is independent,
    /// so the result does not depend on the thread count).
    public func samples(_ indices: [Int], threads: Int = Parallel.threadCount) throws -> [SceneSample] {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DatasetError.invalidArgument("\(name): sample index \(bad) is outside 0..<\(count)")
        }
        let results = UnsafeMutableBufferPointer<SceneSample?>.allocate(capacity: indices.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let chunks = max(1, min(threads, indices.count))
        let base = UnsafeMutableBufferPointer(start: results.baseAddress, count: indices.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = indices.count * chunk / chunks, end = indices.count * (chunk + 1) / chunks
            for position in start..<end {
                base[position] = try? sample(at: indices[position])
            }
        }
        return try (0..<indices.count).map { position in
            guard let sample = results[position] else {
                throw DatasetError.invalidArgument("\(name): rendering sample \(indices[position]) failed")
            }
            return sample
        }
    }

    /// Renders every sample (in parallel).
    public func allSamples(threads: Int = Parallel.threadCount) throws -> [SceneSample] {
        try samples(Array(0..<count), threads: threads)
    }
}

extension SyntheticScenes {
    /// A string identifying this set's content, for `ShardCache`: the renderer version and every option.
    public var cacheKey: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let options = (try? encoder.encode(self.options)).flatMap { String(data: $0, encoding: .utf8) } ?? "\(self.options)"
        return "synthetic-scenes/renderer-1/\(options)"
    }
}
