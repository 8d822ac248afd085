import TandemCore

/// Which visual cue carries a floor-standing object's class when the relatedness dial ρ is set
/// (`SyntheticScenesOptions.relatedness`).
///
/// Each object draws its cue independently: geometry with probability ρ, appearance otherwise.
///
/// * `geometry`: the object has its class's shape and size ranges (which depth and normals show)
///   and a neutral look: a grey of random lightness, plain or fabric-patterned.
/// * `appearance`: the object has its class's colour and pattern on a neutral shape: a box, sphere
///   or cylinder of random size, the same distribution for every class.
///
/// The two looks never overlap (class colours are saturated, neutral ones grey), so an object's
/// class is always decidable from the image: from its shape when it is grey, from its colour
/// otherwise. At ρ = 1 the label follows geometry only, at ρ = 0 appearance only, and depth and
/// normals carry the ρ share of the label that geometry does.
public enum SceneCue: String, Equatable, Sendable, Codable {
    case geometry
    case appearance

    /// The cue of one object: geometry with probability `relatedness`.
    static func draw(relatedness: Double, generator g: inout SeededGenerator) -> SceneCue {
        g.nextUniformDouble() < relatedness ? .geometry : .appearance
    }

    /// The shape of an appearance-cued object: `style` with its shapes and sizes replaced by the
    /// class-independent ones.
    static func neutralShape(of style: SceneClassStyle) -> SceneClassStyle {
        var neutral = style
        neutral.shapes = [.box, .sphere, .cylinder]
        neutral.width = 0.25...1.0
        neutral.height = 0.25...1.2
        neutral.depth = 0.25...1.0
        return neutral
    }

    /// The look of a geometry-cued object: a grey of lightness 0.3…0.85 with a faint (±3 %) tint.
    static func neutralMaterial(generator g: inout SeededGenerator) -> SceneMaterial {
        let lightness = g.uniform(0.3...0.85)
        let colour = Vector3(lightness * (1 + 0.03 * Double(g.nextNormal())), lightness * (1 + 0.03 * Double(g.nextNormal())),
                             lightness * (1 + 0.03 * Double(g.nextNormal())))
        let pattern: ScenePattern = g.bounded(2) == 0 ? .plain : .fabric
        return SceneMaterial(colour: colour, pattern: pattern, patternSeed: g.next(), emission: 0)
    }
}
