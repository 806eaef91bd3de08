import Foundation
import X509

/// Small CA set-ups shared by the tests; keys are generated at run time, never stored.
enum Fixtures {
    static func makeCA(_ name: String = "Test CA", keyType: KeyType = .ec256) throws -> CertificateAuthority {
        try CertificateAuthority.selfSigned(
            key: PrivateKey(generating: keyType), commonName: name, organization: "dojot tests", validity: .days(3650))
    }

    static func issue(
        by ca: CertificateAuthority,
        commonName: String = "device-1",
        names: [SubjectAlternativeName] = [],
        validity: Validity = .days(30),
        subject: IssuedSubject = .fromRequest
    ) throws -> (certificate: Certificate, key: PrivateKey) {
        let key = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(key: key, commonName: commonName, subjectAlternativeNames: names)
        return (try ca.sign(request, subject: subject, validity: validity), key)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("x509tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The `openssl` command as an independent checker.
enum OpenSSLCommand {
    static let path = "/usr/bin/openssl"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs openssl with `arguments`; returns exit status and combined output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
