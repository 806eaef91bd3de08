import Foundation
import LoadTest
import Logging
import TestSupport

let quietLogger: Logger = {
    var logger = Logger(label: "loadtest-test")
    logger.logLevel = .critical
    return logger
}()

/// A short, bounded run: fast publishes, a count per device, a generous end.
func shortRun(port: Int, devices: Int = 20, messages: Int = 5, transport: RunConfiguration.Transport = .plain) -> RunConfiguration {
    var configuration = RunConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = port
    configuration.transport = transport
    configuration.devices = devices
    configuration.messagesPerDevice = messages
    configuration.connectRate = 200
    configuration.publishInterval = .milliseconds(100)
    configuration.jitter = .milliseconds(20)
    configuration.duration = .seconds(15)
    configuration.grace = .seconds(20)
    configuration.kafkaWarmup = .seconds(1)
    configuration.threads = 2
    configuration.showProgress = false
    return configuration
}

func makeCertificates(tenant: String = "admin", devices: Int, prefix: String = "lt") throws -> String {
    let directory = try TemporaryDirectory.make(prefix: "loadtest-pki").path
    try LocalCertificates.make(directory: directory, tenant: tenant, ids: (0..<devices).map { "\(prefix)\($0)" })
    return directory
}
