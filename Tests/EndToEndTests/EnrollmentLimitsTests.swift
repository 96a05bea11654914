import AisleCore
import AisleCrypto
import AisleTesting
import ArgumentParser
import Foundation
import Testing

@testable import aisle

/// `aisle admin enroll`, `renew` and `rotate` refuse what they should before writing anything.
@Suite("aisle admin enroll's and renew's limits")
struct EnrollmentLimitsTests {
    /// A tenant `acme` in `hq` with the phone `phone-five` made in `phone5` (not enrolled).
    struct Tenant {
        let directory: TemporaryDirectory
        var hq: String { directory.file("hq") }
        var phone: String { directory.file("phone5") }

        init() throws {
            directory = try TemporaryDirectory(prefix: "enrol-limits")
            try run(["admin", "init", "--dir", hq, "--tenant", "acme"])
            try run([
                "mobile", "init", "--dir", phone, "--tenant", "acme", "--device", "phone-five", "--customer", "c5",
            ])
        }

        /// Runs `aisle arguments`, expecting it to succeed, and returns its output.
        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            let (status, output) = try AisleCommandTests.run(arguments)
            #expect(status == 0, "\(arguments): \(output)")
            return output
        }

        /// Runs `aisle arguments`, expecting it to fail, and returns its output.
        func refused(_ arguments: [String]) throws -> String {
            let (status, output) = try AisleCommandTests.run(arguments)
            #expect(status != 0, "\(arguments): \(output)")
            return output
        }

        /// The bytes of every file under `hq` and `phone5`, by path.
        func files() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for root in [hq, phone] {
                for name in try FileManager.default.subpathsOfDirectory(atPath: root) {
                    let path = root + "/" + name
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                        files[path] = try Data(contentsOf: URL(fileURLWithPath: path))
                    }
                }
            }
            return files
        }
    }

    @Test(
        "enrolling a device again is refused before anything is written: the device's files and head office's record stay as they were"
    )
    func refusedEnrolmentChangesNothing() throws {
        let tenant = try Tenant()
        try tenant.run(["admin", "enroll", "--dir", tenant.hq, "--request", tenant.phone + "/request.json"])
        let before = try tenant.files()
        let output = try tenant.refused([
            "admin", "enroll", "--dir", tenant.hq, "--request", tenant.phone + "/request.json", "--days", "3",
        ])
        #expect(output.contains("phone5/device.cert already exists: phone-five is enrolled already"), "\(output)")
        #expect(output.contains("`aisle admin renew --device phone-five`"), "\(output)")
        #expect(try tenant.files() == before)
        let plan = try tenant.run(["admin", "renew", "--dir", tenant.hq, "--dry-run", "--device", "phone-five"])
        #expect(plan.contains("due      phone-five: was to expire in 364 days"), "\(plan)")
    }

    @Test("a new file that appears after it was staged is refused at commit, and nothing staged with it is written")
    func stagedFilesAreWrittenTogetherOrNotAtAll() throws {
        let directory = try TemporaryDirectory(prefix: "staged")
        let certificate = directory.file("device.cert")
        let record = directory.file("record.cert")
        try Data("old record".utf8).write(to: URL(fileURLWithPath: record))
        var files = StagedFiles()
        defer { files.discard() }
        try files.stage(Data("new certificate".utf8), at: certificate, replacing: false)
        try files.stage(Data("new record".utf8), at: record, replacing: true)
        try Data("another enrolment's".utf8).write(to: URL(fileURLWithPath: certificate))
        #expect(throws: CommandFailure.self) { try files.commit() }
        files.discard()
        #expect(try Data(contentsOf: URL(fileURLWithPath: certificate)) == Data("another enrolment's".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: record)) == Data("old record".utf8))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
                "device.cert", "record.cert",
            ])
    }

    @Test(
        "--epoch is refused outside 1 to the tenant's current epoch, naming it, and nothing is written",
        arguments: ["9", "2", "0", "-1"])
    func epochBeyondTheCurrentIsRefused(_ epoch: String) throws {
        let tenant = try Tenant()
        let before = try tenant.files()
        let output = try tenant.refused([
            "admin", "enroll", "--dir", tenant.hq, "--request", tenant.phone + "/request.json", "--epoch", epoch,
        ])
        #expect(
            output.contains("--epoch \(epoch) is out of range: this tenant's key epochs are 1 to 1, its current one"),
            "\(output)")
        #expect(try tenant.files() == before)
    }

    @Test("after a rotation, --epoch may name the new current epoch but not the one after it")
    func epochFollowsRotation() throws {
        let tenant = try Tenant()
        try tenant.run(["admin", "enroll", "--dir", tenant.hq, "--request", tenant.phone + "/request.json"])
        try tenant.run(["admin", "rotate", "--dir", tenant.hq])
        let phone2 = tenant.directory.file("phone6")
        try tenant.run([
            "mobile", "init", "--dir", phone2, "--tenant", "acme", "--device", "phone-six", "--customer", "c6",
        ])
        let beyond = try tenant.refused([
            "admin", "enroll", "--dir", tenant.hq, "--request", phone2 + "/request.json", "--epoch", "3",
        ])
        #expect(beyond.contains("this tenant's key epochs are 1 to 2"), "\(beyond)")
        let enrolled = try tenant.run([
            "admin", "enroll", "--dir", tenant.hq, "--request", phone2 + "/request.json", "--epoch", "2",
        ])
        #expect(enrolled.contains("keys for epochs 1–2 in device.bundle"), "\(enrolled)")
    }

    @Test(
        "--days outside 1 to 3650 is refused by enroll and renew, a negative one too",
        arguments: ["enroll", "renew"], ["0", "-5", "3651", "99999999999", "999999999999"])
    func daysOutOfRangeAreRefused(_ command: String, _ days: String) throws {
        let tenant = try Tenant()
        let before = try tenant.files()
        let request = command == "enroll" ? ["--request", tenant.phone + "/request.json"] : []
        let output = try tenant.refused(["admin", command, "--dir", tenant.hq, "--days", days] + request)
        #expect(
            output.contains("--days \(days) is out of range: a certificate is valid from 1 to 3650 days (ten years)"),
            "\(output)")
        #expect(try tenant.files() == before)
    }

    @Test(
        "renew --within outside 0 to 3650 days is refused, a negative one too",
        arguments: ["-1", "3651", "999999999999999"])
    func withinOutOfRangeIsRefused(_ within: String) throws {
        let error = #expect(throws: (any Error).self) {
            try RenewCommand.parseAsRoot(["--dir", "hq", "--within", within])
        }
        #expect(
            error.map(RenewCommand.message(for:))
                == "--within \(within) is out of range: from 0 to 3650 days (ten years)")
    }

    @Test(
        "enroll --days prints the certificate's real end, and the certificate ends then",
        arguments: [1, 3650])
    func printedEndIsTheCertificatesEnd(_ days: Int) throws {
        let tenant = try Tenant()
        let start = UInt64(Date().timeIntervalSince1970 * 1_000)
        let output = try tenant.run([
            "admin", "enroll", "--dir", tenant.hq, "--request", tenant.phone + "/request.json", "--days", "\(days)",
        ])
        let certificate = try Certificate(
            canonicalBytes: Array(Data(contentsOf: URL(fileURLWithPath: tenant.phone + "/device.cert"))))
        let valid = certificate.body.notAfter - start
        #expect(valid >= UInt64(days) * 86_400_000 && valid < UInt64(days) * 86_400_000 + 60_000)
        #expect(
            output.contains("until \(CertificateLifetime.date(certificate.body.notAfter)) (\(days) days from now)"),
            "\(output)")
    }
}
