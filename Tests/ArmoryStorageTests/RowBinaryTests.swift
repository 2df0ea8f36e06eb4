import ArmoryStorage
import Foundation
import NIOCore
import Testing

@Suite("RowBinary: events as ClickHouse reads them")
struct RowBinaryTests {
    @Test("an event's size is known before it is written (strings and item lists across the one-, two- and three-byte length marks)")
    func sizeBeforeWriting() {
        for length in [0, 1, 127, 128, 16_383, 16_384, 20_000] {
            let text = String(repeating: "é", count: length / 2) + String(repeating: "x", count: length % 2)
            let event = Event(eventID: "e" + text, type: .engagement, time: Date(), decisionID: text, experiment: "x",
                              arm: text, userID: "u", movieID: 7, value: 1.5, position: 3, items: Array(repeating: -1, count: length))
            var buffer = ByteBuffer()
            RowBinary.append(event, to: &buffer)
            #expect(RowBinary.size(of: event) == buffer.readableBytes, "length \(length)")
        }
    }
}
