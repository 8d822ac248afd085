import Foundation

/// Student's t distribution: its distribution function and quantiles, for the paired-difference
/// intervals of a report (`PairedDifference`).
///
/// The distribution function comes from the regularized incomplete beta function (a continued
/// fraction evaluated with the modified Lentz method); a quantile is found by bisection on it, to
/// about 1e-12. Checked against the table values t(0.975; 1) = 12.706, t(0.975; 2) = 4.303,
/// t(0.975; 4) = 2.776 and t(0.975; 29) = 2.045, and against the closed forms for 1 and 2 degrees of freedom.
public enum StudentT {
    /// P(T ≤ `t`) for T with `degreesOfFreedom` (> 0) degrees of freedom.
    public static func cumulativeProbability(_ t: Double, degreesOfFreedom: Double) -> Double {
        precondition(degreesOfFreedom > 0, "a t distribution needs positive degrees of freedom")
        if t.isNaN { return .nan }
        if t == 0 { return 0.5 }
        // P(|T| > |t|) = I_x(ν/2, 1/2) with x = ν / (ν + t²).
        let x = degreesOfFreedom / (degreesOfFreedom + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, degreesOfFreedom / 2, 0.5)
        return t > 0 ? 1 - tail : tail
    }

    /// The `probability` quantile (0 < probability < 1): the t with P(T ≤ t) = probability.
    public static func quantile(_ probability: Double, degreesOfFreedom: Double) -> Double {
        precondition(probability > 0 && probability < 1, "a quantile needs a probability strictly between 0 and 1")
        precondition(degreesOfFreedom > 0, "a t distribution needs positive degrees of freedom")
        if probability == 0.5 { return 0 }
        if probability < 0.5 { return -quantile(1 - probability, degreesOfFreedom: degreesOfFreedom) }
        // Bracket, then halve: the distribution function is increasing, so bisection cannot miss.
        var low = 0.0, high = 1.0
        while cumulativeProbability(high, degreesOfFreedom: degreesOfFreedom) < probability { low = high; high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle == low || middle == high { break }
            if cumulativeProbability(middle, degreesOfFreedom: degreesOfFreedom) < probability { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// I_x(a, b), the regularized incomplete beta function, for 0 ≤ x ≤ 1 and a, b > 0.
    static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logPowers - logBeta
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); beyond, use I_x(a, b) = 1 − I_{1−x}(b, a).
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, b, a) / b
    }

    /// The continued fraction of the incomplete beta function, by the modified Lentz method.
    static func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var fraction = d
        for m in 1...10_000 {
            let m = Double(m)
            // Even step.
            var coefficient = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 / guarded(1 + coefficient * d)
            c = guarded(1 + coefficient / c)
            fraction *= d * c
            // Odd step.
            coefficient = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 / guarded(1 + coefficient * d)
            c = guarded(1 + coefficient / c)
            let change = d * c
            fraction *= change
            if abs(change - 1) < 1e-15 { break }
        }
        return fraction
    }
}
