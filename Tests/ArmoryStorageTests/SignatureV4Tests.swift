import ArmoryStorage
import Foundation
import Testing

/// The examples AWS publishes in the S3 API reference, "Signature Calculations for the
/// Authorization Header: Transferring Payload in a Single Chunk": every expected value below
/// (canonical request, string to sign, signature) is AWS's, copied from that page.
@Suite("Signature Version 4 matches AWS's published S3 examples")
struct SignatureV4Tests {
    static let signer = SignatureV4(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    /// 20130524T000000Z.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)
    static let host = ("Host", "examplebucket.s3.amazonaws.com")
    static let amzDate = ("x-amz-date", "20130524T000000Z")
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test("the timestamp is x-amz-date's")
    func timestamp() {
        #expect(SignatureV4.timestamp(Self.date) == "20130524T000000Z")
        #expect(SignatureV4.hexHash(Data()) == SignatureV4.emptyPayloadHash)
    }

    @Test("GET Object with a Range: canonical request, string to sign, signature and header")
    func getObject() {
        // The example's Range header has a trailing space, which canonicalization trims.
        let request = SignatureV4.Request(
            method: "GET", path: "/test.txt",
            headers: [Self.host, ("Range", "bytes=0-9 "), ("x-amz-content-sha256", Self.emptyHash), Self.amzDate],
            payloadHash: Self.emptyHash)
        let canonical = """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """
        #expect(Self.signer.canonicalRequest(request) == canonical)
        #expect(Self.signer.stringToSign(canonicalRequest: canonical, date: Self.date) == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(Self.signer.signature(request, date: Self.date) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(Self.signer.authorization(request, date: Self.date) == "AWS4-HMAC-SHA256 "
            + "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("PUT Object: the key's $ is percent-encoded, the payload hash is the body's")
    func putObject() {
        let body = Data("Welcome to Amazon S3.".utf8)
        let hash = SignatureV4.hexHash(body)
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let request = SignatureV4.Request(
            method: "PUT", path: "/test$file.text",
            headers: [Self.host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), Self.amzDate,
                      ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", hash)],
            payloadHash: hash)
        let canonical = Self.signer.canonicalRequest(request)
        #expect(canonical.split(separator: "\n", omittingEmptySubsequences: false)[1] == "/test%24file.text")
        #expect(Self.signer.stringToSign(canonicalRequest: canonical, date: Self.date).hasSuffix(
            "\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        #expect(Self.signer.authorization(request, date: Self.date) == "AWS4-HMAC-SHA256 "
            + "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET Bucket Lifecycle: a parameter without a value is written name=")
    func getBucketLifecycle() {
        let request = SignatureV4.Request(
            method: "GET", path: "/", query: [("lifecycle", "")],
            headers: [Self.host, Self.amzDate, ("x-amz-content-sha256", Self.emptyHash)], payloadHash: Self.emptyHash)
        let canonical = Self.signer.canonicalRequest(request)
        #expect(canonical.split(separator: "\n", omittingEmptySubsequences: false)[2] == "lifecycle=")
        #expect(Self.signer.stringToSign(canonicalRequest: canonical, date: Self.date).hasSuffix(
            "\n9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"))
        #expect(Self.signer.signature(request, date: Self.date) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("Get Bucket (List Objects): query parameters are sorted by name")
    func listObjects() {
        let request = SignatureV4.Request(
            method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")],
            headers: [Self.host, Self.amzDate, ("x-amz-content-sha256", Self.emptyHash)], payloadHash: Self.emptyHash)
        let canonical = Self.signer.canonicalRequest(request)
        #expect(canonical.split(separator: "\n", omittingEmptySubsequences: false)[2] == "max-keys=2&prefix=J")
        #expect(Self.signer.stringToSign(canonicalRequest: canonical, date: Self.date).hasSuffix(
            "\ndf57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"))
        #expect(Self.signer.signature(request, date: Self.date) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("URI encoding keeps unreserved characters and, in paths, slashes", arguments: [
        ("a/b c", true, "a/b%20c"), ("a/b c", false, "a%2Fb%20c"), ("A-z_0.9~", false, "A-z_0.9~"),
        ("é+=&", false, "%C3%A9%2B%3D%26"),
    ])
    func encoding(text: String, keepingSlashes: Bool, expected: String) {
        #expect(SignatureV4.encode(text, keepingSlashes: keepingSlashes) == expected)
    }
}
