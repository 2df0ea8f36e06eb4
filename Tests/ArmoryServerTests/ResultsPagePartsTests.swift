import ArmoryCore
import Foundation
import Testing

@testable import ArmoryServer

@Suite("Results page parts: escaping, bucket widths, number formats")
struct ResultsPagePartsTests {
    @Test("text from files and people is escaped wherever it goes; markup goes in only as HTML")
    func escaping() {
        let reason = "too early <script>alert('x')</script> & \"quoted\""
        let markup: HTML = "<td title=\"\(reason)\">\(reason)</td>\(HTML(trusted: "<b>kept</b>"))"
        #expect(markup.description == "<td title=\"too early &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;\">"
            + "too early &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;</td><b>kept</b>")
    }

    @Test("a timeline's buckets: the narrowest width with at most 60 points, from a second to a week")
    func bucketWidths() {
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        for (span, width) in [(15.0, 1), (50.0, 1), (120.0, 5), (7_200.0, 300), (3.0 * 86_400, 7_200), (30.0 * 86_400, 86_400)] {
            let chosen = ExperimentTimeline.bucketWidth(since: start, until: start.addingTimeInterval(span))
            #expect(chosen == width, "\(span) s")
            // The next narrower width would need more than 60 points.
            if let narrower = ExperimentTimeline.bucketWidths.last(where: { $0 < chosen }) {
                let points = Int(start.addingTimeInterval(span).timeIntervalSince1970) / narrower - Int(start.timeIntervalSince1970) / narrower + 1
                #expect(points > ExperimentTimeline.maximumPoints, "\(span) s")
            }
        }
    }

    @Test("numbers as the page writes them: separators, decimals, percentages, signs, absent values")
    func formats() {
        #expect(PageFormat.count(1_234_567) == "1,234,567" && PageFormat.count(999) == "999" && PageFormat.count(0) == "0")
        #expect(PageFormat.percent(0.12345) == "12.3%" && PageFormat.percent(nil) == "—" && PageFormat.percent(.nan) == "—")
        #expect(PageFormat.signed(-4.84, 1) == "−4.8" && PageFormat.signed(5, 1) == "+5.0" && PageFormat.signed(-0.01, 1) == "0.0")
        #expect(PageFormat.time(Date(timeIntervalSince1970: 1_796_220_305.9)) == "2026-12-02 14:05:05")
    }
}
