/// How an arm's module failed a request, so that the experiment's fallback arm answered it. The
/// decision still counts for the arm (an arm is its module with the fallback behind it), and
/// each decision records which of these, if any, happened, so results can show how much of an
/// arm's data is really its fallback's.
public enum ModuleFailure: String, Sendable, Hashable, Codable, CaseIterable {
    /// The module threw.
    case error
    /// The module did not answer within the experiment's time budget.
    case timeout
}
