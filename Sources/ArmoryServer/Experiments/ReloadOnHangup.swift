import ArmoryCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the experiment files on SIGHUP, through the same ``ExperimentControl/reload(actor:reason:)``
/// as `POST /v1/admin/reload`.
struct ReloadOnHangup: Service {
    let control: ExperimentControl
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await control.registry.waitUntilLoaded()
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                do {
                    _ = try await control.reload(actor: "sighup", reason: "SIGHUP")
                } catch {
                    logger.error("reload on SIGHUP failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
