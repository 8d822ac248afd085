import Foundation
import TandemCore

/// What a surface looks like: albedo, procedural pattern and self-emission.
public struct SceneMaterial: Equatable, Sendable, Codable {
    /// Base albedo (linear RGB in 0…1).
    public var colour: Vector3
    public var pattern: ScenePattern
    /// Seed of the pattern's per-instance variation.
    public var patternSeed: UInt64
    public var emission: Double
}

/// One object of a scene: its geometry, semantic label and material.
public struct SceneObject: Equatable, Sendable, Codable {
    public var shape: ScenePrimitiveShape
    /// Index of the object's class in the scheme.
    public var classIndex: Int
    /// The label written to the segmentation map: `classIndex`, or −1 for unlabelled clutter.
    public var label: Int32
    public var material: SceneMaterial
    /// The cue that carries the class under the relatedness dial; `nil` when both do (no dial, or
    /// an object on a wall).
    public var cue: SceneCue? = nil
}

/// A pinhole camera. Camera frame: x right, y down, z forward (the OpenCV convention); depth is the
/// z coordinate of a point in this frame.
public struct SceneCamera: Equatable, Sendable, Codable {
    /// Position in the world (y up, metres).
    public var position: Vector3
    /// Heading (radians about the world's vertical axis), pitch (negative looks down) and roll.
    public var yaw: Double
    public var pitch: Double
    public var roll: Double
    /// Focal length in pixels; the principal point is the image centre.
    public var focalLength: Double
    /// World directions of the camera axes (orthonormal, right-handed).
    public let right: Vector3
    public let down: Vector3
    public let forward: Vector3

    public init(position: Vector3, yaw: Double, pitch: Double, roll: Double, focalLength: Double) {
        self.position = position
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
        self.focalLength = focalLength
        let forward = Vector3(sin(yaw) * cos(pitch), sin(pitch), cos(yaw) * cos(pitch))
        let level = forward.cross(Vector3(0, 1, 0)).normalized  // horizontal right vector
        let levelDown = forward.cross(level)
        self.forward = forward
        self.right = cos(roll) * level + sin(roll) * levelDown
        self.down = cos(roll) * levelDown - sin(roll) * level
    }

    /// The world point seen at pixel centre (`column` + ½, `row` + ½) at z-depth `depth`.
    public func point(row: Double, column: Double, depth: Double, height: Int, width: Int) -> Vector3 {
        let x = (column - Double(width) / 2) / focalLength
        let y = (row - Double(height) / 2) / focalLength
        return position + depth * (x * right + y * down + forward)
    }
}

/// A complete random indoor scene: a box-shaped room, objects, a camera and a point light.
public struct SyntheticScene: Equatable, Sendable, Codable {
    /// Room extents: x ∈ [0, size.x], y ∈ [0, size.y] (floor at 0), z ∈ [0, size.z].
    public var roomSize: Vector3
    public var camera: SceneCamera
    public var lightPosition: Vector3
    public var lightIntensity: Double
    public var ambient: Double
    public var floorMaterial: SceneMaterial
    public var wallMaterial: SceneMaterial
    public var ceilingMaterial: SceneMaterial
    /// Labels of the room surfaces (their class indices).
    public var floorLabel: Int32
    public var wallLabel: Int32
    public var ceilingLabel: Int32
    public var objects: [SceneObject]

    /// Draws a scene from `generator` (the per-sample stream) for the given image size and options.
    public static func random(options: SyntheticScenesOptions, scheme: SceneClassScheme,
                              generator g: inout SeededGenerator) -> SyntheticScene {
        let room = Vector3(g.uniform(3.5...7.0), g.uniform(2.5...3.0), g.uniform(3.5...7.0))
        func material(_ style: SceneClassStyle, _ g: inout SeededGenerator) -> SceneMaterial {
            var colour = style.colour
            let shade = 1 + 0.5 * style.colourVariation * Double(g.nextNormal())
            colour = Vector3(colour.x * (shade + style.colourVariation * Double(g.nextNormal())),
                             colour.y * (shade + style.colourVariation * Double(g.nextNormal())),
                             colour.z * (shade + style.colourVariation * Double(g.nextNormal())))
            colour = Vector3(min(max(colour.x, 0.02), 1), min(max(colour.y, 0.02), 1), min(max(colour.z, 0.02), 1))
            var pattern = style.pattern
            if style.placement == .floorSurface && g.nextUniform() < 0.35 { pattern = .tiles }
            return SceneMaterial(colour: colour, pattern: pattern, patternSeed: g.next(), emission: style.emission)
        }

        // Camera: near one of the walls (as a photographer stands), facing roughly across the room,
        // looking slightly down.
        let margin = 0.45
        let along = g.nextUniformDouble(), away = g.uniform(margin...1.3)
        let position: Vector3
        switch g.bounded(4) {
        case 0: position = Vector3(away, 0, margin + along * (room.z - 2 * margin))
        case 1: position = Vector3(room.x - away, 0, margin + along * (room.z - 2 * margin))
        case 2: position = Vector3(margin + along * (room.x - 2 * margin), 0, away)
        default: position = Vector3(margin + along * (room.x - 2 * margin), 0, room.z - away)
        }
        let eye = Vector3(position.x, g.uniform(1.0...1.7), position.z)
        let towardsCentre = atan2(room.x / 2 - eye.x, room.z / 2 - eye.z)
        let camera = SceneCamera(position: eye, yaw: towardsCentre + g.uniform(-0.5...0.5),
                                 pitch: -g.uniform(0.15...0.5), roll: g.uniform(-0.05...0.05),
                                 focalLength: options.focalLength * Double(options.width))
        let light = Vector3(g.uniform(0.5...(room.x - 0.5)), room.y - 0.25, g.uniform(0.5...(room.z - 0.5)))

        // The room's surfaces are labelled unless `roomLabels` is false (then −1: ignored).
        func roomLabel(_ classIndex: Int) -> Int32 { options.roomLabels == false ? -1 : Int32(classIndex) }
        let floorIndex = scheme.index(of: .floorSurface)
        let wallIndex = scheme.index(of: .wallSurface)
        let ceilingIndex = scheme.index(of: .ceilingSurface)
        var scene = SyntheticScene(
            roomSize: room, camera: camera, lightPosition: light, lightIntensity: g.uniform(0.7...1.0),
            ambient: g.uniform(0.3...0.45),
            floorMaterial: material(scheme.styles[floorIndex], &g), wallMaterial: material(scheme.styles[wallIndex], &g),
            ceilingMaterial: material(scheme.styles[ceilingIndex], &g),
            floorLabel: roomLabel(floorIndex), wallLabel: roomLabel(wallIndex), ceilingLabel: roomLabel(ceilingIndex), objects: [])

        func pick(_ placements: [SceneClassStyle.Placement], _ g: inout SeededGenerator) -> Int? {
            let candidates = scheme.styles.indices.filter { placements.contains(scheme.styles[$0].placement) }
            let total = candidates.reduce(0) { $0 + scheme.styles[$1].frequency }
            guard total > 0 else { return nil }
            var draw = g.nextUniformDouble() * total
            for index in candidates {
                draw -= scheme.styles[index].frequency
                if draw < 0 { return index }
            }
            return candidates.last
        }
        func label(_ classIndex: Int, _ g: inout SeededGenerator) -> Int32 {
            g.nextUniformDouble() < options.unlabelledObjectProbability ? -1 : Int32(classIndex)
        }

        // Floor objects (and small objects on top of supporting ones).
        var footprints: [(x: Double, z: Double, radius: Double)] = []
        var supports: [Int] = []
        let floorCount = g.integer(in: options.objectCount)
        for _ in 0..<floorCount {
            guard let classIndex = pick([.floor, .floorOrSupport], &g) else { break }
            let style = scheme.styles[classIndex]
            // The relatedness dial: which cue carries this object's class (no draw without the dial).
            let cue = options.relatedness.map { SceneCue.draw(relatedness: $0, generator: &g) }
            let shapeStyle = cue == .appearance ? SceneCue.neutralShape(of: style) : style
            let kind = shapeStyle.shapes[Int(g.bounded(UInt64(shapeStyle.shapes.count)))]
            let width = g.uniform(shapeStyle.width), height = g.uniform(shapeStyle.height), depth = g.uniform(shapeStyle.depth)
            let yaw = g.nextUniform() < 0.7 ? Double(g.bounded(2)) * Double.pi / 2 + g.uniform(-0.06...0.06)
                                            : g.uniform(0...Double.pi)
            let objectMaterial = cue == .geometry ? SceneCue.neutralMaterial(generator: &g) : material(style, &g)
            let objectLabel = label(classIndex, &g)
            let radius: Double = kind == .box ? 0.5 * (width * width + depth * depth).squareRoot() : width / 2

            // Small objects go on a support half the time when one exists.
            if style.placement == .floorOrSupport, !supports.isEmpty, g.nextUniform() < 0.5 {
                let support = scene.objects[supports[Int(g.bounded(UInt64(supports.count)))]]
                if case let .box(center, half, _) = support.shape {
                    let room = min(half.x, half.z) - radius
                    if room > 0 {
                        let offsetX = g.uniform(-room...room) * 0.707_106_78, offsetZ = g.uniform(-room...room) * 0.707_106_78
                        let base = center.y + half.y
                        scene.objects.append(SceneObject(
                            shape: makeShape(kind, x: center.x + offsetX, z: center.z + offsetZ, base: base,
                                             width: width, height: height, depth: depth, yaw: yaw),
                            classIndex: classIndex, label: objectLabel, material: objectMaterial, cue: cue))
                        continue
                    }
                }
            }
            guard radius < min(room.x, room.z) / 2 - 0.05 else { continue }
            var placed = false
            for _ in 0..<24 {
                let x = g.uniform(radius...(room.x - radius)), z = g.uniform(radius...(room.z - radius))
                let clearOfCamera = hypot(x - eye.x, z - eye.z) > radius + 0.55
                let clearOfOthers = footprints.allSatisfy { hypot(x - $0.x, z - $0.z) > radius + $0.radius }
                guard clearOfCamera && clearOfOthers else { continue }
                footprints.append((x, z, radius))
                if kind == .box && style.supportsObjects { supports.append(scene.objects.count) }
                scene.objects.append(SceneObject(
                    shape: makeShape(kind, x: x, z: z, base: 0, width: width, height: height, depth: depth, yaw: yaw),
                    classIndex: classIndex, label: objectLabel, material: objectMaterial, cue: cue))
                placed = true
                break
            }
            _ = placed
        }

        // Wall objects: thin boxes against one of the four walls, not overlapping each other.
        var spans: [(wall: Int, low: Double, high: Double, bottom: Double, top: Double)] = []
        let wallCount = g.integer(in: options.wallObjectCount)
        for _ in 0..<wallCount {
            guard let classIndex = pick([.wall], &g) else { break }
            let style = scheme.styles[classIndex]
            let width = g.uniform(style.width), height = g.uniform(style.height), thickness = g.uniform(style.depth)
            let objectMaterial = material(style, &g)
            let objectLabel = label(classIndex, &g)
            let wall = Int(g.bounded(4))
            let length = wall < 2 ? room.z : room.x
            guard width + 0.3 < length else { continue }
            let along = g.uniform((width / 2 + 0.15)...(length - width / 2 - 0.15))
            let centreY = min(g.uniform(1.1...1.7), room.y - height / 2 - 0.1)
            let overlaps = spans.contains {
                $0.wall == wall && along - width / 2 < $0.high && along + width / 2 > $0.low
                    && centreY - height / 2 < $0.top && centreY + height / 2 > $0.bottom
            }
            guard !overlaps, centreY - height / 2 > 0.2 else { continue }
            spans.append((wall, along - width / 2, along + width / 2, centreY - height / 2, centreY + height / 2))
            let center: Vector3
            let yaw: Double
            switch wall {
            case 0: center = Vector3(thickness / 2, centreY, along); yaw = Double.pi / 2
            case 1: center = Vector3(room.x - thickness / 2, centreY, along); yaw = Double.pi / 2
            case 2: center = Vector3(along, centreY, thickness / 2); yaw = 0
            default: center = Vector3(along, centreY, room.z - thickness / 2); yaw = 0
            }
            scene.objects.append(SceneObject(
                shape: .box(center: center, halfExtents: Vector3(width / 2, height / 2, thickness / 2), yaw: yaw),
                classIndex: classIndex, label: objectLabel, material: objectMaterial))
        }
        return scene
    }
}

private func makeShape(_ kind: SceneClassStyle.Shape, x: Double, z: Double, base: Double,
                       width: Double, height: Double, depth: Double, yaw: Double) -> ScenePrimitiveShape {
    switch kind {
    case .box:
        return .box(center: Vector3(x, base + height / 2, z), halfExtents: Vector3(width / 2, height / 2, depth / 2), yaw: yaw)
    case .sphere:
        return .sphere(center: Vector3(x, base + width / 2, z), radius: width / 2)
    case .cylinder:
        return .cylinder(centerX: x, centerZ: z, radius: width / 2, bottom: base, top: base + height)
    }
}
