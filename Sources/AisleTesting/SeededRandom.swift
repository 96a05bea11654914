/// A deterministic random source (SplitMix64): the same seed gives the same sequence on every
/// machine, so a failing simulation replays exactly from its printed seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < probability
    }

    /// A well-mixed seed for the `index`-th run derived from `base`, so neighbouring runs are unrelated.
    public static func derive(base: UInt64, index: UInt64) -> UInt64 {
        var generator = SeededRandom(seed: base ^ (index &* 0xD1B5_4A32_D192_ED03))
        return generator.next()
    }
}
