import ArgumentParser
import Foundation

/// How long a certificate signed now is valid: the `--days` of `aisle admin enroll` and `aisle
/// admin renew`.
enum CertificateLifetime {
    /// The longest a certificate may be valid: ten years. Few tills or phones stay in service
    /// longer, a device lost and never revoked stays trusted no longer than that, and the
    /// certificate's not-after (milliseconds since 1970) stays far inside its range.
    static let maximumDays = 3_650

    static let help = ArgumentHelp("Days the certificate is valid from now: 1 to \(maximumDays) (ten years).")

    /// Refuses `days` outside 1 to ``maximumDays``.
    static func check(_ days: Int) throws {
        guard (1...maximumDays).contains(days) else {
            throw ValidationError(
                "--days \(days) is out of range: a certificate is valid from 1 to \(maximumDays) days (ten years)")
        }
    }

    /// The not-after of a certificate valid `days` (checked) from `now`, both in milliseconds since 1970.
    static func notAfter(days: Int, from now: UInt64) throws -> UInt64 {
        try check(days)
        return now + UInt64(days) * 86_400_000
    }

    /// "2027-03-05T14:02:11Z", the moment `millis` (since 1970) in UTC.
    static func date(_ millis: UInt64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1_000))
    }
}
