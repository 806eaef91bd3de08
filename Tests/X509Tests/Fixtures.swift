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
}
