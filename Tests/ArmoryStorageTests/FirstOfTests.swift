@testable import ArmoryStorage
import Testing

/// What keeps shutdown from waiting on a PostgresNIO query or pool whose server went away:
/// an operation that ignores cancellation is waited for no longer than its limit.
@Suite("FirstOf: an operation that never ends is waited for no longer than its limit")
struct FirstOfTests {
    struct Failure: Error, Equatable {}

    @Test("an operation that ends in time gives its value or its error")
    func endsInTime() async throws {
        let value = await FirstOf.value(of: { 42 }, orAtMost: .seconds(10))
        #expect(try value?.get() == 42)
        let error = await FirstOf.value(of: { () throws -> Int in throw Failure() }, orAtMost: .seconds(10))
        #expect(throws: Failure.self) { try error?.get() }
    }

    @Test("an operation that ignores cancellation and never ends: nil once the limit has passed")
    func neverEnds() async {
        let clock = ContinuousClock()
        let start = clock.now
        // An hour, and nothing cancels it: like a query on a connection whose server stopped answering.
        let result = await FirstOf.value(of: { try? await Task.sleep(for: .seconds(3_600)) }, orAtMost: .milliseconds(200))
        #expect(result == nil)
        // Not a timing target: the property is that the wait ends at all, and not before the limit.
        #expect(clock.now - start >= .milliseconds(200))
    }
}
