import Foundation

/// Pictures of dense multi-task samples for looking at data: one row per sample, columns RGB,
/// depth, normals and labels.
///
/// Depth is drawn with a dark-blue → yellow ramp scaled to each sample's valid range, normals as
/// `(n + 1) / 2` in RGB, labels with a fixed per-class palette; invalid pixels are black.
public enum SampleGrid {
    /// The grid image for `samples`, each panel magnified `scale` times, panels `gap` pixels apart.
    public static func image(_ samples: [SceneSample], classCount: Int, scale: Int = 1, gap: Int = 2) -> RGBImage {
        precondition(!samples.isEmpty, "SampleGrid needs at least one sample")
        let h = samples[0].height * scale, w = samples[0].width * scale
        var grid = RGBImage(width: 4 * w + 5 * gap, height: samples.count * h + (samples.count + 1) * gap)
        for i in 0..<grid.pixels.count { grid.pixels[i] = 255 }
        for (row, sample) in samples.enumerated() {
            let top = gap + row * (h + gap)
            let panels = [rgb(sample), depth(sample), normals(sample), labels(sample, classCount: classCount)]
            for (column, panel) in panels.enumerated() {
                grid.paste(panel, row: top, column: gap + column * (w + gap), scale: scale)
            }
        }
        return grid
    }

    /// Writes the grid of `samples` as a PNG file.
    public static func writePNG(_ samples: [SceneSample], classCount: Int, to url: URL, scale: Int = 1) throws {
        try image(samples, classCount: classCount, scale: scale).writePNG(to: url)
    }

    /// The RGB panel.
    public static func rgb(_ sample: SceneSample) -> RGBImage {
        let pixels = sample.height * sample.width
        var image = RGBImage(width: sample.width, height: sample.height)
        for p in 0..<pixels {
            image.set(row: p / sample.width, column: p % sample.width,
                      red: sample.image[p], green: sample.image[pixels + p], blue: sample.image[2 * pixels + p])
        }
        return image
    }

    /// The depth panel (near = dark blue, far = yellow).
    public static func depth(_ sample: SceneSample) -> RGBImage {
        var image = RGBImage(width: sample.width, height: sample.height)
        let valid = sample.depth.filter { $0 > 0 }
        guard let low = valid.min(), let high = valid.max() else { return image }
        let stops: [(Float, Float, Float)] = [(0.07, 0.03, 0.35), (0.2, 0.35, 0.6), (0.2, 0.65, 0.5), (0.98, 0.9, 0.15)]
        for (p, d) in sample.depth.enumerated() where d > 0 {
            let t = high > low ? (d - low) / (high - low) * Float(stops.count - 1) : 0
            let k = min(Int(t), stops.count - 2), f = t - Float(k)
            let (a, b) = (stops[k], stops[k + 1])
            image.set(row: p / sample.width, column: p % sample.width,
                      red: a.0 + f * (b.0 - a.0), green: a.1 + f * (b.1 - a.1), blue: a.2 + f * (b.2 - a.2))
        }
        return image
    }

    /// The normals panel, `(n + 1) / 2` as RGB.
    public static func normals(_ sample: SceneSample) -> RGBImage {
        let pixels = sample.height * sample.width
        var image = RGBImage(width: sample.width, height: sample.height)
        for p in 0..<pixels {
            let n = (sample.normals[p], sample.normals[pixels + p], sample.normals[2 * pixels + p])
            guard n != (0, 0, 0) else { continue }
            image.set(row: p / sample.width, column: p % sample.width,
                      red: (n.0 + 1) / 2, green: (n.1 + 1) / 2, blue: (n.2 + 1) / 2)
        }
        return image
    }

    /// The labels panel.
    public static func labels(_ sample: SceneSample, classCount: Int) -> RGBImage {
        var image = RGBImage(width: sample.width, height: sample.height)
        for (p, label) in sample.labels.enumerated() where label >= 0 {
            let c = labelColour(Int(label))
            image.set(row: p / sample.width, column: p % sample.width, red: Float(c.x), green: Float(c.y), blue: Float(c.z))
        }
        return image
    }

    /// The palette colour of class `label`.
    public static func labelColour(_ label: Int) -> Vector3 {
        let hue = (Double(label) * 0.618_033_988_75 + 0.1).truncatingRemainder(dividingBy: 1)
        return hsvToRGB(hue: hue, saturation: label % 2 == 0 ? 0.75 : 0.5, value: label % 3 == 0 ? 0.95 : 0.75)
    }
}
