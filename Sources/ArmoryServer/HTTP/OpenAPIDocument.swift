/// The API described for people and generators, served at `GET /openapi.yaml`: the file
/// `Resources/openapi.yaml`, compiled into the binary (so a copied `armory` needs no bundle
/// beside it). A test checks that it lists exactly the routes the router serves.
enum OpenAPIDocument {
    static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
