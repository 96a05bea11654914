/// Sine, cosine and arc tangent from IEEE-754 arithmetic alone, so that a distance computed on a
/// phone, a till and the hub is the same to the last bit (platform maths libraries may differ in
/// the last place), and AisleCore needs no platform import. Accurate to a few units in the last
/// place for the angles distances use (|x| ≤ 2π).
enum Trigonometry {
    /// π/2 split in two parts so that reducing an angle by multiples of it loses no precision.
    private static let halfPiHigh = 1.570_796_326_794_896_558
    private static let halfPiLow = 6.123_233_995_736_766e-17

    /// The sine of `x` radians.
    static func sine(_ x: Double) -> Double {
        let (quadrant, r) = reduce(x)
        switch quadrant {
        case 0: return sineSeries(r)
        case 1: return cosineSeries(r)
        case 2: return -sineSeries(r)
        default: return -cosineSeries(r)
        }
    }

    /// The cosine of `x` radians.
    static func cosine(_ x: Double) -> Double {
        let (quadrant, r) = reduce(x)
        switch quadrant {
        case 0: return cosineSeries(r)
        case 1: return -sineSeries(r)
        case 2: return -cosineSeries(r)
        default: return sineSeries(r)
        }
    }

    /// The angle in 0 … π/2 whose tangent is `y / x`, for `y`, `x` ≥ 0 (not both zero).
    static func arcTangent(_ y: Double, over x: Double) -> Double {
        guard x > 0 else { return halfPiHigh }
        return y <= x ? arcTangent(y / x) : halfPiHigh - arcTangent(x / y) + halfPiLow
    }

    /// The arc tangent of `t` in 0 … 1, in radians.
    private static func arcTangent(_ t: Double) -> Double {
        // atan t = 2 atan(t / (1 + √(1 + t²))): twice brings t below tan(π/16) ≈ 0.199.
        var reduced = t
        var factor = 1.0
        for _ in 0..<2 {
            reduced = reduced / (1 + (1 + reduced * reduced).squareRoot())
            factor *= 2
        }
        let square = reduced * reduced
        var term = reduced
        var sum = 0.0
        for n in 0..<16 {
            sum += term / Double(2 * n + 1) * (n % 2 == 0 ? 1 : -1)
            term *= square
        }
        return factor * sum
    }

    /// `x` as a quadrant (0 … 3) and a remainder in −π/4 … π/4, x = quadrant · π/2 + r.
    private static func reduce(_ x: Double) -> (Int, Double) {
        let k = (x / halfPiHigh).rounded()
        let r = (x - k * halfPiHigh) - k * halfPiLow
        let quadrant = Int(k.truncatingRemainder(dividingBy: 4))
        return ((quadrant + 4) % 4, r)
    }

    private static func sineSeries(_ r: Double) -> Double {
        let square = r * r
        var term = r
        var sum = r
        for n in 1..<12 {
            term *= -square / Double((2 * n) * (2 * n + 1))
            sum += term
        }
        return sum
    }

    private static func cosineSeries(_ r: Double) -> Double {
        let square = r * r
        var term = 1.0
        var sum = 1.0
        for n in 1..<12 {
            term *= -square / Double((2 * n - 1) * (2 * n))
            sum += term
        }
        return sum
    }
}
