import Foundation

extension S3ArtifactStore {
    /// A store at `url` (`s3://bucket/prefix`) configured as the AWS tools are: the endpoint from
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (AWS's own for the region when neither is
    /// set), the region from `AWS_REGION` or `AWS_DEFAULT_REGION` (`us-east-1`), the
    /// credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. Throws ``StorageError``
    /// coded `invalid_location` when the location is malformed or a credential is missing.
    public static func fromEnvironment(
        url: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> S3ArtifactStore {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        let region = value("AWS_REGION", "AWS_DEFAULT_REGION") ?? "us-east-1"
        let endpoint = value("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL") ?? "https://s3.\(region).amazonaws.com"
        guard let accessKeyID = value("AWS_ACCESS_KEY_ID"), let secretAccessKey = value("AWS_SECRET_ACCESS_KEY") else {
            throw StorageError(.invalidLocation, "\(url) needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set (endpoint \(endpoint))")
        }
        let configuration = S3Configuration(endpoint: endpoint, region: region, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey)
        return try S3ArtifactStore(url: url, configuration: configuration)
    }
}
