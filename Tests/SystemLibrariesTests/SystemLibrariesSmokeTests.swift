import CCurl
import CLibCrypto
import CRdKafka
import Testing

/// The three C libraries link and answer: the module maps, pkg-config and shims are right.
@Suite struct SystemLibrariesSmokeTests {
    @Test func librdkafkaMockClusterGivesABootstrapAddress() throws {
        var errstr = [CChar](repeating: 0, count: 512)
        let conf = rd_kafka_conf_new()
        let rk = try #require(rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count))
        defer { rd_kafka_destroy(rk) }
        let cluster = try #require(rd_kafka_mock_cluster_new(rk, 1))
        defer { rd_kafka_mock_cluster_destroy(cluster) }
        let bootstrap = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        #expect(bootstrap.hasPrefix("127.0.0.1:"))
    }

    @Test func libcurlTypedSetoptWrappersAccepted() throws {
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        #expect(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) == CURLE_OK)
        #expect(ccurl_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK)
    }

    @Test func libcryptoGeneratesAnECKey() throws {
        let key = try #require(clibcrypto_ec_gen("P-256"))
        defer { EVP_PKEY_free(key) }
        #expect(EVP_PKEY_get_bits(key) == 256)
    }
}
