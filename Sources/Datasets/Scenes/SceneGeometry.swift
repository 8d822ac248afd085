import Foundation

/// A 3-D vector of `Double` for the scene renderer (world frame: y up, metres).
public struct Vector3: Equatable, Sendable, Codable {
    public var x: Double
    public var y: Double
    public var z: Double

    public init(_ x: Double, _ y: Double, _ z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    public static let zero = Vector3(0, 0, 0)
    public static func + (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x + b.x, a.y + b.y, a.z + b.z) }
    public static func - (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x - b.x, a.y - b.y, a.z - b.z) }
    public static func * (s: Double, a: Vector3) -> Vector3 { Vector3(s * a.x, s * a.y, s * a.z) }
    public static prefix func - (a: Vector3) -> Vector3 { Vector3(-a.x, -a.y, -a.z) }

    public func dot(_ other: Vector3) -> Double { x * other.x + y * other.y + z * other.z }

    public func cross(_ other: Vector3) -> Vector3 {
        Vector3(y * other.z - z * other.y, z * other.x - x * other.z, x * other.y - y * other.x)
    }

    public var length: Double { dot(self).squareRoot() }
    public var normalized: Vector3 { (1 / length) * self }
}

/// The shape of one scene primitive, in world coordinates (y up).
public enum ScenePrimitiveShape: Equatable, Sendable, Codable {
    /// A box standing upright: `center`, half extents along its own axes, turned by `yaw` radians
    /// about the vertical axis.
    case box(center: Vector3, halfExtents: Vector3, yaw: Double)
    /// A sphere.
    case sphere(center: Vector3, radius: Double)
    /// An upright cylinder with circular caps: axis through (`centerX`, `centerZ`), from `bottom` to `top`.
    case cylinder(centerX: Double, centerZ: Double, radius: Double, bottom: Double, top: Double)
}

/// Where a ray meets a primitive.
struct SurfaceHit {
    /// Ray parameter; with a camera ray whose camera-frame z component is 1, this is the z-depth.
    var distance: Double
    /// Unit outward normal in world coordinates.
    var normal: Vector3
    /// Surface coordinates (metres) for textures: two in-surface coordinates and a face/band index.
    var surfaceU: Double
    var surfaceV: Double
    var face: Int
}

extension ScenePrimitiveShape {
    /// The nearest intersection of the ray `origin + t·direction` with `t > minimumDistance`, or nil.
    func intersect(origin: Vector3, direction: Vector3, minimumDistance: Double) -> SurfaceHit? {
        switch self {
        case let .box(center, half, yaw):
            return intersectBox(center: center, half: half, cosine: cos(yaw), sine: sin(yaw), origin: origin,
                                direction: direction, minimumDistance: minimumDistance)
        case let .sphere(center, radius):
            let offset = origin - center
            let a = direction.dot(direction)
            let b = offset.dot(direction)
            let c = offset.dot(offset) - radius * radius
            let discriminant = b * b - a * c
            guard discriminant >= 0 else { return nil }
            let root = discriminant.squareRoot()
            var t = (-b - root) / a
            if t <= minimumDistance { t = (-b + root) / a }
            guard t > minimumDistance else { return nil }
            let point = origin + t * direction
            let normal = (1 / radius) * (point - center)
            return SurfaceHit(distance: t, normal: normal, surfaceU: point.x - center.x + point.z - center.z,
                              surfaceV: point.y - center.y, face: 0)
        case let .cylinder(centerX, centerZ, radius, bottom, top):
            return intersectCylinder(centerX: centerX, centerZ: centerZ, radius: radius, bottom: bottom, top: top,
                                     origin: origin, direction: direction, minimumDistance: minimumDistance)
        }
    }

    /// The footprint radius on the floor plane (for placement without overlaps).
    var footprintRadius: Double {
        switch self {
        case let .box(_, half, _): return (half.x * half.x + half.z * half.z).squareRoot()
        case let .sphere(_, radius): return radius
        case let .cylinder(_, _, radius, _, _): return radius
        }
    }

    /// The highest point of the primitive.
    var top: Double {
        switch self {
        case let .box(center, half, _): return center.y + half.y
        case let .sphere(center, radius): return center.y + radius
        case let .cylinder(_, _, _, _, top): return top
        }
    }
}

/// Slab test in the box's own frame; the normal of the entering slab is rotated back to the world.
/// `cosine`/`sine` are of the box's yaw (computed once per scene, not per ray).
func intersectBox(center: Vector3, half: Vector3, cosine: Double, sine: Double, origin: Vector3, direction: Vector3,
                  minimumDistance: Double) -> SurfaceHit? {
    // World → local: rotate by −yaw about y.  Local axes in world: ex = (cos, 0, −sin), ez = (sin, 0, cos).
    let rx = origin.x - center.x, ry = origin.y - center.y, rz = origin.z - center.z
    let o = (cosine * rx - sine * rz, ry, sine * rx + cosine * rz)
    let d = (cosine * direction.x - sine * direction.z, direction.y, sine * direction.x + cosine * direction.z)
    var entry = -Double.infinity, exit = Double.infinity
    var entryAxis = 0, entrySign = 1.0, exitAxis = 0, exitSign = 1.0
    @inline(__always) func slab(_ axis: Int, _ o: Double, _ d: Double, _ h: Double) -> Bool {
        if d == 0 { return o >= -h && o <= h }
        var near = (-h - o) / d, far = (h - o) / d
        var nearSign = -1.0, farSign = 1.0
        if near > far {
            swap(&near, &far)
            swap(&nearSign, &farSign)
        }
        if near > entry { entry = near; entryAxis = axis; entrySign = nearSign }
        if far < exit { exit = far; exitAxis = axis; exitSign = farSign }
        return entry <= exit
    }
    guard slab(0, o.0, d.0, half.x), slab(1, o.1, d.1, half.y), slab(2, o.2, d.2, half.z) else { return nil }
    let t: Double, axis: Int, sign: Double
    if entry > minimumDistance {
        (t, axis, sign) = (entry, entryAxis, entrySign)
    } else if exit > minimumDistance {
        (t, axis, sign) = (exit, exitAxis, exitSign)  // ray starts inside (only for shadow rays from a surface)
    } else {
        return nil
    }
    let local = (axis == 0 ? sign : 0, axis == 1 ? sign : 0, axis == 2 ? sign : 0)
    let normal = Vector3(cosine * local.0 + sine * local.2, local.1, -sine * local.0 + cosine * local.2)
    let p = (o.0 + t * d.0 + half.x, o.1 + t * d.1 + half.y, o.2 + t * d.2 + half.z)
    let (u, v): (Double, Double)
    switch axis {
    case 0: (u, v) = (p.2, p.1)
    case 1: (u, v) = (p.0, p.2)
    default: (u, v) = (p.0, p.1)
    }
    return SurfaceHit(distance: t, normal: normal, surfaceU: u, surfaceV: v, face: axis * 2 + (sign > 0 ? 1 : 0))
}

/// An upright capped cylinder: the side (a quadratic in x–z) and the two caps (planes).
func intersectCylinder(centerX: Double, centerZ: Double, radius: Double, bottom: Double, top: Double,
                       origin: Vector3, direction: Vector3, minimumDistance: Double) -> SurfaceHit? {
    var best: SurfaceHit?
    let ox = origin.x - centerX, oz = origin.z - centerZ
    let a = direction.x * direction.x + direction.z * direction.z
    if a > 0 {
        let b = ox * direction.x + oz * direction.z
        let c = ox * ox + oz * oz - radius * radius
        let discriminant = b * b - a * c
        if discriminant >= 0 {
            let root = discriminant.squareRoot()
            let near = (-b - root) / a, far = (-b + root) / a
            for k in 0..<2 {
                let t = k == 0 ? near : far
                guard t > minimumDistance else { continue }
                let y = origin.y + t * direction.y
                if y >= bottom && y <= top {
                    let px = ox + t * direction.x, pz = oz + t * direction.z
                    best = SurfaceHit(distance: t, normal: Vector3(px / radius, 0, pz / radius),
                                      surfaceU: px + pz, surfaceV: y - bottom, face: 0)
                    break
                }
            }
        }
    }
    if direction.y != 0 {
        @inline(__always) func cap(_ height: Double, _ normalY: Double, _ face: Int) {
            let t = (height - origin.y) / direction.y
            guard t > minimumDistance else { return }
            if let current = best, current.distance <= t { return }
            let px = ox + t * direction.x, pz = oz + t * direction.z
            if px * px + pz * pz <= radius * radius {
                best = SurfaceHit(distance: t, normal: Vector3(0, normalY, 0), surfaceU: px, surfaceV: pz, face: face)
            }
        }
        cap(top, 1, 1)
        cap(bottom, -1, 2)
    }
    return best
}
