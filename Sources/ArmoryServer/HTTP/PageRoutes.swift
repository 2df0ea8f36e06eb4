import ArmoryCore
import Foundation
import Hummingbird

/// The results pages: `GET /` lists the experiments, `GET /experiments/{id}` shows one. HTML
/// read through ``ResultsReader``, as the JSON routes are; read-only, with no admin token and
/// nothing on them that can change an experiment. A failure is a page too, with the status the
/// JSON routes would give.
struct PageRoutes {
    let registry: ExperimentRegistry
    let reader: ResultsReader

    var collection: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/") { _, context in
            var rows: [ExperimentListPage.Row] = []
            for live in registry.experiments {
                rows.append(.init(live: live, results: try? await reader.results(live, logger: context.logger)))
            }
            return Self.page(ExperimentListPage(rows: rows).render())
        }
        routes.get("/experiments/:id") { _, context in
            do {
                let id = try RouteParameters.experimentID(context)
                guard let live = registry.experiment(id) else { throw ArmoryError.unknownExperiment(id) }
                return Self.page(ExperimentPage(report: try await reader.report(live, logger: context.logger)).render())
            } catch let error as ArmoryError {
                return Self.page(Self.problem(error), status: error.kind == .notFound ? .notFound
                                 : error.kind == .unavailable ? .serviceUnavailable : .badRequest)
            }
        }
        return routes
    }

    private static func problem(_ error: ArmoryError) -> HTML {
        PageLayout.page(title: "Not shown", body: """
            <header><nav><a href="/">Armory</a></nav><h1>This page cannot be shown</h1></header>\
            <main><p>\(error.message)</p><p><a href="/">All experiments</a></p></main>
            """)
    }

    private static func page(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        var response = APIJSON.text(html.description, contentType: "text/html; charset=utf-8", status: status)
        response.headers[.contentSecurityPolicy] = PageLayout.contentSecurityPolicy
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
