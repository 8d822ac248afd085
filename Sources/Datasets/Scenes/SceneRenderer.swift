import Foundation
import TandemCore

/// Analytic per-pixel ray casting of a `SyntheticScene`.
///
/// Each pixel centre casts one ray `C + t·d` with `d = x·right + y·down + forward`, whose camera-
/// frame z component is 1, so the hit's ray parameter `t` *is* the z-depth, exactly. Normals are the
/// analytic normals of the primitive hit, rotated into the camera frame. Colour is Lambertian: a
/// point light with hard shadows (cast by the objects; the room is convex so its surfaces never
/// shadow) plus ambient light, on procedural textures. All arithmetic is IEEE double precision with
/// `sqrt` (correctly rounded everywhere), `floor`, and — only for the camera and box rotations,
/// computed once per scene — Foundation's `sin`/`cos`/`atan2`, so results are bit-identical across
/// runs and machines of one platform (Linux/glibc); another libm could change the last bits.
public enum SceneRenderer {
    /// Renders `scene` at `height`×`width`. With `noiseGenerator` and `imageNoise` > 0, Gaussian
    /// noise of that standard deviation is added to the RGB values (then clamped to 0…1).
    /// `invalidDepthOnWindows` zeroes depth and normals on glass (`.panes`) surfaces.
    public static func render(_ scene: SyntheticScene, height: Int, width: Int, imageNoise: Double = 0,
                              noiseGenerator: inout SeededGenerator, invalidDepthOnWindows: Bool = true) -> SceneSample {
        let pixels = height * width
        var image = [Float](repeating: 0, count: 3 * pixels)
        var depth = [Float](repeating: 0, count: pixels)
        var normals = [Float](repeating: 0, count: 3 * pixels)
        var labels = [Int32](repeating: -1, count: pixels)
        var instances = [Int32](repeating: -1, count: pixels)
        let prepared = scene.objects.map(PreparedShape.init)
        let camera = scene.camera
        let origin = camera.position
        let room = scene.roomSize

        for row in 0..<height {
            let y = (Double(row) + 0.5 - Double(height) / 2) / camera.focalLength
            for column in 0..<width {
                let x = (Double(column) + 0.5 - Double(width) / 2) / camera.focalLength
                let direction = x * camera.right + y * camera.down + camera.forward
                var hit = roomHit(origin: origin, direction: direction, room: room)
                var instance = hit.face  // 0 floor, 1 ceiling, 2…5 walls
                for (k, shape) in prepared.enumerated() {
                    if let objectHit = shape.intersect(origin: origin, direction: direction, minimumDistance: 1e-6),
                       objectHit.distance < hit.distance {
                        hit = objectHit
                        instance = 6 + k
                    }
                }
                let material: SceneMaterial
                let label: Int32
                switch instance {
                case 0: (material, label) = (scene.floorMaterial, scene.floorLabel)
                case 1: (material, label) = (scene.ceilingMaterial, scene.ceilingLabel)
                case 2...5: (material, label) = (scene.wallMaterial, scene.wallLabel)
                default:
                    let object = scene.objects[instance - 6]
                    (material, label) = (object.material, object.label)
                }
                let point = origin + hit.distance * direction
                let colour = shade(point: point, hit: hit, material: material, instance: instance, scene: scene,
                                   prepared: prepared)
                let p = row * width + column
                image[p] = Float(colour.x)
                image[pixels + p] = Float(colour.y)
                image[2 * pixels + p] = Float(colour.z)
                labels[p] = label
                instances[p] = Int32(instance)
                if invalidDepthOnWindows && material.pattern == .panes { continue }
                depth[p] = Float(hit.distance)
                // Camera-frame normal, oriented towards the camera (it already is for visible faces).
                var n = hit.normal
                if n.dot(direction) > 0 { n = -n }
                normals[p] = Float(n.dot(camera.right))
                normals[pixels + p] = Float(n.dot(camera.down))
                normals[2 * pixels + p] = Float(n.dot(camera.forward))
            }
        }
        if imageNoise > 0 {
            for i in 0..<image.count {
                image[i] = min(max(image[i] + Float(imageNoise) * noiseGenerator.nextNormal(), 0), 1)
            }
        }
        return SceneSample(height: height, width: width, image: image, depth: depth, normals: normals,
                           labels: labels, instances: instances)
    }

    /// Where a ray from inside the room leaves it (the room is an axis-aligned box, so the exit is
    /// the nearest of three planes, one per axis).
    static func roomHit(origin: Vector3, direction d: Vector3, room: Vector3) -> SurfaceHit {
        var best = SurfaceHit(distance: .infinity, normal: .zero, surfaceU: 0, surfaceV: 0, face: 0)
        if d.y < 0 {
            best = SurfaceHit(distance: -origin.y / d.y, normal: Vector3(0, 1, 0), surfaceU: 0, surfaceV: 0, face: 0)
        } else if d.y > 0 {
            best = SurfaceHit(distance: (room.y - origin.y) / d.y, normal: Vector3(0, -1, 0), surfaceU: 0, surfaceV: 0, face: 1)
        }
        if d.x != 0 {
            let t = d.x > 0 ? (room.x - origin.x) / d.x : -origin.x / d.x
            if t < best.distance {
                best = SurfaceHit(distance: t, normal: Vector3(d.x > 0 ? -1 : 1, 0, 0), surfaceU: 0, surfaceV: 0, face: d.x > 0 ? 3 : 2)
            }
        }
        if d.z != 0 {
            let t = d.z > 0 ? (room.z - origin.z) / d.z : -origin.z / d.z
            if t < best.distance {
                best = SurfaceHit(distance: t, normal: Vector3(0, 0, d.z > 0 ? -1 : 1), surfaceU: 0, surfaceV: 0, face: d.z > 0 ? 5 : 4)
            }
        }
        let p = origin + best.distance * d
        switch best.face {
        case 0, 1: (best.surfaceU, best.surfaceV) = (p.x, p.z)
        case 2, 3: (best.surfaceU, best.surfaceV) = (p.z, p.y)
        default: (best.surfaceU, best.surfaceV) = (p.x, p.y)
        }
        return best
    }

    /// Lambertian shading of a textured surface point.
    static func shade(point: Vector3, hit: SurfaceHit, material: SceneMaterial, instance: Int, scene: SyntheticScene,
                      prepared: [PreparedShape]) -> Vector3 {
        let (albedo, emissive) = SceneTexture.albedo(material, u: hit.surfaceU, v: hit.surfaceV,
                                                     face: hit.face + 8 * instance)
        let toLight = scene.lightPosition - point
        let distanceSquared = toLight.dot(toLight)
        let cosine = hit.normal.dot(toLight) / distanceSquared.squareRoot()
        var diffuse = 0.0
        if cosine > 0 {
            let start = point + 1e-5 * hit.normal
            let shadowed = prepared.contains { shape in
                guard let blocker = shape.intersect(origin: start, direction: toLight, minimumDistance: 1e-7) else { return false }
                return blocker.distance < 1
            }
            if !shadowed {
                diffuse = scene.lightIntensity * cosine / (1 + 0.03 * distanceSquared)
            }
        }
        let light = scene.ambient + diffuse
        let glow = emissive ? material.emission : 0
        return Vector3(min(albedo.x * (light * 1.02 + glow), 1), min(albedo.y * (light + glow), 1),
                       min(albedo.z * (light * 0.96 + glow), 1))
    }
}

/// A scene primitive with its yaw's sine and cosine computed once, for fast intersection.
struct PreparedShape {
    let shape: ScenePrimitiveShape
    let cosine: Double
    let sine: Double

    init(_ object: SceneObject) {
        shape = object.shape
        if case let .box(_, _, yaw) = object.shape {
            cosine = cos(yaw)
            sine = sin(yaw)
        } else {
            cosine = 1
            sine = 0
        }
    }

    @inline(__always)
    func intersect(origin: Vector3, direction: Vector3, minimumDistance: Double) -> SurfaceHit? {
        switch shape {
        case let .box(center, half, _):
            return intersectBox(center: center, half: half, cosine: cosine, sine: sine, origin: origin,
                                direction: direction, minimumDistance: minimumDistance)
        default:
            return shape.intersect(origin: origin, direction: direction, minimumDistance: minimumDistance)
        }
    }
}
