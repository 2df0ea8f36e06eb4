import ArmoryCore
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
            // An impression's event id is not written (it is its decision id): size agrees.
            let impression = Event(eventID: text, type: .impression, time: Date(), decisionID: text, experiment: "x", arm: "a",
                                   userID: "u", items: Array(repeating: 9, count: length))
            var written = ByteBuffer()
            RowBinary.append(impression, to: &written)
            #expect(RowBinary.size(of: impression) == written.readableBytes, "impression, length \(length)")
            var click = ByteBuffer()
            RowBinary.append(Event(eventID: text, type: .click, time: impression.time, decisionID: text, experiment: "x", arm: "a",
                                   userID: "u", items: impression.items), to: &click)
            let lengthBytes = text.utf8.count < 128 ? 1 : text.utf8.count < 16_384 ? 2 : 3
            #expect(click.readableBytes - written.readableBytes == text.utf8.count + lengthBytes - 1
                        + ("click".utf8.count - "impression".utf8.count),
                    "the click carries its id; the impression writes an empty one (one length byte)")
        }
    }
}
