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
            // Each experiment's page report: kept like the page's own, so reloading the list is cheap.
            var rows: [ExperimentListPage.Row] = []
            for live in registry.experiments {
                rows.append(.init(live: live, results: try? await reader.report(live, logger: context.logger).results))
            }
            return Self.page(ExperimentListPage(rows: rows).render())
        }
        routes.get("/experiments/:id") { _, context in
            do {
                let id = try RouteParameters.experimentID(context)
                guard let live = registry.experiment(id) else { throw ArmoryError.unknownExperiment(id) }
                return Self.page(ExperimentPage(report: try await reader.report(live, logger: context.logger)).render())
            } catch let error as ArmoryError {
                return Self.page(Self.problem(error.message), status: error.kind == .notFound ? .notFound
                                 : error.kind == .unavailable ? .serviceUnavailable : .badRequest)
            } catch {
                context.logger.error("cannot show a results page", metadata: ["error": "\(error)"])
                return Self.page(Self.problem("the state store did not answer; try again shortly"), status: .serviceUnavailable)
            }
        }
        return routes
    }

    private static func problem(_ message: String) -> HTML {
        PageLayout.page(title: "Not shown", body: """
            <header><nav><a href="/">Armory</a></nav><h1>This page cannot be shown</h1></header>\
            <main><p>\(message)</p><p><a href="/">All experiments</a></p></main>
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
