/// Surface patterns of the synthetic scenes' materials (all procedural, no image assets).
public enum ScenePattern: String, Equatable, Sendable, Codable {
    /// Almost uniform colour with faint low-frequency variation (walls, ceilings).
    case plain
    /// Wooden floor boards: per-board shade and grain.
    case planks
    /// Square floor tiles with darker grout.
    case tiles
    /// Fabric-like noise (sofas, beds, chairs).
    case fabric
    /// Two-tone stripes (bed covers).
    case stripes
    /// Narrow stripes of varied colours (book spines).
    case spines
    /// A grid of colour blocks (pictures).
    case blocks
    /// Glass panes with a light frame grid (windows).
    case panes
    /// Dark screen with a faint sheen (TVs).
    case screen
}

/// How a class of objects is shaped, sized, coloured and placed in a synthetic scene.
public struct SceneClassStyle: Equatable, Sendable {
    /// Where instances of the class go.
    public enum Placement: Equatable, Sendable {
        /// One of the room's surfaces (floor, walls or ceiling) — not an object.
        case floorSurface, wallSurface, ceilingSurface
        /// Stands on the floor.
        case floor
        /// Stands on the floor or on top of a supporting object (a table, a cabinet).
        case floorOrSupport
        /// Hangs on a wall (thin box).
        case wall
    }

    /// A primitive shape an instance can take.
    public enum Shape: Equatable, Sendable { case box, sphere, cylinder }

    public var name: String
    public var placement: Placement
    /// Shapes an instance picks from (uniformly).
    public var shapes: [Shape]
    /// Size ranges in metres: width (x), height (y), depth (z). Spheres and cylinders use the
    /// width as diameter.
    public var width: ClosedRange<Double>
    public var height: ClosedRange<Double>
    public var depth: ClosedRange<Double>
    /// Base colour (linear RGB in 0…1) before per-instance variation.
    public var colour: Vector3
    /// Per-instance colour variation (relative standard deviation per channel).
    public var colourVariation: Double
    public var pattern: ScenePattern
    /// Relative frequency among the classes of the same placement group.
    public var frequency: Double
    /// Whether small objects may be put on top of instances of this class.
    public var supportsObjects: Bool
    /// Light the surface emits itself (windows), added after shading.
    public var emission: Double

    public init(name: String, placement: Placement, shapes: [Shape] = [.box],
                width: ClosedRange<Double> = 0.5...1, height: ClosedRange<Double> = 0.5...1,
                depth: ClosedRange<Double> = 0.5...1, colour: Vector3, colourVariation: Double = 0.12,
                pattern: ScenePattern = .plain, frequency: Double = 1, supportsObjects: Bool = false,
                emission: Double = 0) {
        self.name = name
        self.placement = placement
        self.shapes = shapes
        self.width = width
        self.height = height
        self.depth = depth
        self.colour = colour
        self.colourVariation = colourVariation
        self.pattern = pattern
        self.frequency = frequency
        self.supportsObjects = supportsObjects
        self.emission = emission
    }
}

/// The semantic classes of a synthetic-scenes data set: label `i` is `styles[i]`.
///
/// With 13 classes (the default) the classes are those of the NYUv2 13-class benchmark, in its
/// order: bed, books, ceiling, chair, floor, furniture, objects, picture, sofa, table, tv, wall,
/// window. Any other count (≥ 4) gives floor, wall, ceiling and `count − 3` generic object classes
/// whose shape, size and colour follow from the class index.
public struct SceneClassScheme: Equatable, Sendable {
    public let styles: [SceneClassStyle]

    public var count: Int { styles.count }
    public var names: [String] { styles.map(\.name) }

    public init(styles: [SceneClassStyle]) throws {
        for role in [SceneClassStyle.Placement.floorSurface, .wallSurface, .ceilingSurface] {
            guard styles.filter({ $0.placement == role }).count == 1 else {
                throw DatasetError.invalidArgument("a scene class scheme needs exactly one class with placement \(role)")
            }
        }
        guard styles.contains(where: { $0.placement == .floor || $0.placement == .floorOrSupport }) else {
            throw DatasetError.invalidArgument("a scene class scheme needs at least one object class standing on the floor")
        }
        self.styles = styles
    }

    /// The NYUv2-like scheme for 13 classes, otherwise the generic scheme.
    public static func standard(classCount: Int) throws -> SceneClassScheme {
        classCount == 13 ? nyuv2 : try generic(classCount: classCount)
    }

    /// The 13 NYUv2 classes with indoor-like shapes, sizes and colours.
    public static let nyuv2: SceneClassScheme = try! SceneClassScheme(styles: [
        SceneClassStyle(name: "bed", placement: .floor, width: 1.3...1.9, height: 0.45...0.65, depth: 1.9...2.1,
                        colour: Vector3(0.75, 0.68, 0.6), colourVariation: 0.2, pattern: .stripes, frequency: 0.6,
                        supportsObjects: true),
        SceneClassStyle(name: "books", placement: .floorOrSupport, width: 0.15...0.4, height: 0.2...0.3,
                        depth: 0.15...0.25, colour: Vector3(0.55, 0.3, 0.25), colourVariation: 0.3,
                        pattern: .spines, frequency: 0.8),
        SceneClassStyle(name: "ceiling", placement: .ceilingSurface, colour: Vector3(0.92, 0.92, 0.9),
                        colourVariation: 0.03),
        SceneClassStyle(name: "chair", placement: .floor, shapes: [.box, .cylinder], width: 0.42...0.55,
                        height: 0.8...1.0, depth: 0.42...0.55, colour: Vector3(0.45, 0.3, 0.2), colourVariation: 0.25,
                        pattern: .fabric, frequency: 1.2),
        SceneClassStyle(name: "floor", placement: .floorSurface, colour: Vector3(0.6, 0.45, 0.3), colourVariation: 0.2,
                        pattern: .planks),
        SceneClassStyle(name: "furniture", placement: .floor, width: 0.6...1.4, height: 0.8...2.0, depth: 0.4...0.6,
                        colour: Vector3(0.55, 0.4, 0.28), colourVariation: 0.25, pattern: .fabric, frequency: 1.0,
                        supportsObjects: true),
        SceneClassStyle(name: "objects", placement: .floorOrSupport, shapes: [.sphere, .cylinder, .box],
                        width: 0.12...0.35, height: 0.12...0.4, depth: 0.12...0.35, colour: Vector3(0.5, 0.5, 0.5),
                        colourVariation: 0.5, pattern: .plain, frequency: 1.5),
        SceneClassStyle(name: "picture", placement: .wall, width: 0.4...1.0, height: 0.3...0.7, depth: 0.02...0.04,
                        colour: Vector3(0.6, 0.5, 0.4), colourVariation: 0.3, pattern: .blocks, frequency: 1.0),
        SceneClassStyle(name: "sofa", placement: .floor, width: 1.5...2.2, height: 0.7...0.9, depth: 0.8...0.95,
                        colour: Vector3(0.35, 0.4, 0.5), colourVariation: 0.3, pattern: .fabric, frequency: 0.7),
        SceneClassStyle(name: "table", placement: .floor, shapes: [.box, .cylinder], width: 0.8...1.6,
                        height: 0.7...0.78, depth: 0.7...1.0, colour: Vector3(0.62, 0.48, 0.33), colourVariation: 0.2,
                        pattern: .plain, frequency: 1.0, supportsObjects: true),
        SceneClassStyle(name: "tv", placement: .wall, width: 0.8...1.3, height: 0.45...0.75, depth: 0.05...0.08,
                        colour: Vector3(0.08, 0.08, 0.1), colourVariation: 0.1, pattern: .screen, frequency: 0.5),
        SceneClassStyle(name: "wall", placement: .wallSurface, colour: Vector3(0.82, 0.8, 0.74), colourVariation: 0.12),
        SceneClassStyle(name: "window", placement: .wall, width: 0.8...1.6, height: 0.9...1.4, depth: 0.03...0.05,
                        colour: Vector3(0.75, 0.85, 0.95), colourVariation: 0.05, pattern: .panes, frequency: 0.8,
                        emission: 0.35),
    ])

    /// Floor, wall, ceiling and `classCount − 3` generic object classes (every fifth one hangs on a
    /// wall; the others stand on the floor or on supporting objects).
    public static func generic(classCount: Int) throws -> SceneClassScheme {
        guard classCount >= 4 else {
            throw DatasetError.invalidArgument("synthetic scenes need at least 4 classes (floor, wall, ceiling and one object class), got \(classCount)")
        }
        var styles = [
            SceneClassStyle(name: "floor", placement: .floorSurface, colour: Vector3(0.6, 0.45, 0.3),
                            colourVariation: 0.2, pattern: .planks),
            SceneClassStyle(name: "wall", placement: .wallSurface, colour: Vector3(0.82, 0.8, 0.74), colourVariation: 0.12),
            SceneClassStyle(name: "ceiling", placement: .ceilingSurface, colour: Vector3(0.92, 0.92, 0.9),
                            colourVariation: 0.03),
        ]
        for k in 3..<classCount {
            let j = k - 3
            let hue = (Double(j) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1)
            let colour = hsvToRGB(hue: hue, saturation: 0.55, value: 0.75)
            let scale = 0.3 + 0.25 * Double(j % 4)
            if j % 5 == 4 {
                styles.append(SceneClassStyle(name: "object\(k)", placement: .wall, width: 0.4...1.0, height: 0.3...0.8,
                                              depth: 0.02...0.05, colour: colour, pattern: j % 2 == 0 ? .blocks : .panes))
            } else {
                let shape: [SceneClassStyle.Shape] = [[.box], [.sphere], [.cylinder], [.box, .cylinder]][j % 4]
                let patterns: [ScenePattern] = [.fabric, .plain, .stripes, .spines]
                styles.append(SceneClassStyle(
                    name: "object\(k)", placement: j % 3 == 2 ? .floorOrSupport : .floor, shapes: shape,
                    width: (0.6 * scale)...(1.6 * scale), height: (0.6 * scale)...(2 * scale),
                    depth: (0.6 * scale)...(1.6 * scale), colour: colour, colourVariation: 0.2,
                    pattern: patterns[j % patterns.count], supportsObjects: shape == [.box] && scale >= 0.8))
            }
        }
        return try SceneClassScheme(styles: styles)
    }

    /// Index of the class with the given placement (for the unique room surfaces).
    func index(of placement: SceneClassStyle.Placement) -> Int {
        styles.firstIndex { $0.placement == placement }!
    }
}

/// HSV → RGB with plain arithmetic (no transcendental functions, identical everywhere).
func hsvToRGB(hue: Double, saturation: Double, value: Double) -> Vector3 {
    let h = hue * 6
    let sector = Int(h) % 6
    let f = h - Double(Int(h))
    let p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f))
    switch sector {
    case 0: return Vector3(value, t, p)
    case 1: return Vector3(q, value, p)
    case 2: return Vector3(p, value, t)
    case 3: return Vector3(p, q, value)
    case 4: return Vector3(t, p, value)
    default: return Vector3(value, p, q)
    }
}
