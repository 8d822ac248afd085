/// Procedural textures of the synthetic scenes: albedo as a function of surface coordinates
/// (metres), built from integer hashing and `floor` only, so they are identical everywhere.
enum SceneTexture {
    /// The albedo at (`u`, `v`) and whether this point emits light (window glass).
    static func albedo(_ material: SceneMaterial, u: Double, v: Double, face: Int) -> (Vector3, Bool) {
        let c = material.colour
        let seed = material.patternSeed
        switch material.pattern {
        case .plain:
            return (scale(c, 0.95 + 0.1 * valueNoise(u * 1.3, v * 1.3, seed)), false)
        case .planks:
            let boardWidth = 0.11 + 0.08 * hash01(seed, 1, 0)
            let board = floorToInt(u / boardWidth)
            let seamOffset = 2 * hash01(seed, board, 7)
            let segment = floorToInt((v + seamOffset) / 1.4)
            var shade = 0.78 + 0.3 * hash01(seed, board, segment)
            let across = u / boardWidth - Double(board)
            if across < 0.05 || across > 0.95 { shade *= 0.6 }
            let grain = 0.93 + 0.14 * valueNoise(u * 35, v * 2.5, seed &+ 1)
            return (scale(c, shade * grain), false)
        case .tiles:
            let size = 0.3 + 0.3 * hash01(seed, 2, 0)
            let iu = floorToInt(u / size), iv = floorToInt(v / size)
            let fu = u / size - Double(iu), fv = v / size - Double(iv)
            if fu < 0.04 || fv < 0.04 { return (scale(c, 0.5), false) }
            let checker = (iu + iv) & 1 == 0 ? 1.0 : 0.82
            return (scale(c, checker * (0.95 + 0.1 * hash01(seed, iu, iv))), false)
        case .fabric:
            let coarse = valueNoise(u * 3, v * 3, seed), fine = valueNoise(u * 18, v * 18, seed &+ 5)
            return (scale(c, 0.8 + 0.25 * coarse + 0.12 * fine), false)
        case .stripes:
            let width = 0.1 + 0.15 * hash01(seed, 3, 0)
            let band = floorToInt((u + v * 0.2) / width)
            return (band & 1 == 0 ? c : mix(c, Vector3(0.92, 0.9, 0.86), 0.6), false)
        case .spines:
            let width = 0.025 + 0.035 * hash01(seed, 4, 0)
            let spine = floorToInt((u + v) / width)
            let colour = hsvToRGB(hue: hash01(seed, spine, 1), saturation: 0.45 + 0.3 * hash01(seed, spine, 2),
                                  value: 0.35 + 0.45 * hash01(seed, spine, 3))
            return (colour, false)
        case .blocks:
            let cell = 0.12 + 0.1 * hash01(seed, 5, 0)
            let iu = floorToInt(u / cell), iv = floorToInt(v / cell)
            let colour = hsvToRGB(hue: hash01(seed, iu, iv), saturation: 0.5, value: 0.45 + 0.45 * hash01(seed, iv, iu))
            return (mix(colour, c, 0.25), false)
        case .panes:
            let pane = 0.45
            let fu = u / pane - Double(floorToInt(u / pane)), fv = v / pane - Double(floorToInt(v / pane))
            if fu < 0.08 || fv < 0.08 { return (Vector3(0.9, 0.9, 0.87), false) }
            return (scale(c, 0.9 + 0.2 * fv), true)
        case .screen:
            return (scale(c, 0.85 + 0.3 * valueNoise(u * 2, v * 2, seed)), false)
        }
    }

    static func scale(_ c: Vector3, _ s: Double) -> Vector3 { Vector3(min(c.x * s, 1), min(c.y * s, 1), min(c.z * s, 1)) }

    static func mix(_ a: Vector3, _ b: Vector3, _ t: Double) -> Vector3 { (1 - t) * a + t * b }

    @inline(__always) static func floorToInt(_ x: Double) -> Int {
        let f = x.rounded(.down)
        return f > -1e15 && f < 1e15 ? Int(f) : 0
    }

    /// A hash of (seed, a, b) as a uniform value in [0, 1).
    @inline(__always) static func hash01(_ seed: UInt64, _ a: Int, _ b: Int) -> Double {
        let z = SeedDerivation.seed(seed, index: UInt64(bitPattern: Int64(a)), salt: UInt64(bitPattern: Int64(b)))
        return Double(z >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Smooth value noise in [0, 1): hashed lattice values, bilinear with a smoothstep.
    static func valueNoise(_ x: Double, _ y: Double, _ seed: UInt64) -> Double {
        let ix = floorToInt(x), iy = floorToInt(y)
        let fx = x - Double(ix), fy = y - Double(iy)
        let sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy)
        let a = hash01(seed, ix, iy), b = hash01(seed, ix + 1, iy)
        let c = hash01(seed, ix, iy + 1), d = hash01(seed, ix + 1, iy + 1)
        return (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy
    }
}
