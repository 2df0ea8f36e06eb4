/// The frame every page shares: the document, its one inline stylesheet (no scripts, no other
/// resources: the pages work without JavaScript and load nothing else), and the policy that
/// keeps it that way.
enum PageLayout {
    /// Sent with every page: nothing but the page itself and its inline styles may load.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    static func page(title: String, body: HTML) -> HTML {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(title) · Armory</title>\
        <style>\(style)</style></head><body>\(body)<footer>Read-only: nothing on this page changes an experiment. \
        Times are UTC.</footer></body></html>
        """
    }

    private static let style = HTML(trusted: """
        :root{color-scheme:light;--ink:#1b1b1b;--muted:#555;--line:#d0d0d0;--warn:#8a3b00;--bad:#a00000}\
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);margin:0 auto;\
        max-width:1180px;padding:12px 16px 32px}\
        h1{font-size:1.6em;margin:.2em 0;overflow-wrap:anywhere}h2{font-size:1.2em;margin:1.4em 0 .4em;border-bottom:1px solid var(--line)}\
        nav,footer,.lede,caption{color:var(--muted)}footer{margin-top:2em;font-size:.9em}\
        a{color:#0b5cad}table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.4em 0}\
        caption{text-align:left;font-size:.9em;padding:.2em 0}\
        th,td{padding:.25em .6em;border-bottom:1px solid var(--line);text-align:right;vertical-align:middle}\
        th[scope=row],td:first-child,thead th:first-child{text-align:left}th[scope=row]{min-width:8em;max-width:22em;overflow-wrap:break-word}\
        .scroll{overflow-x:auto;max-width:100%}\
        .status{display:inline-block;padding:0 .5em;border-radius:.6em;border:1px solid currentColor;font-weight:600}\
        .status-running{color:#006b3c}.status-paused{color:var(--warn)}.status-pinned{color:#5b2a86}\
        .leader{font-size:1.15em}.warnings{color:var(--warn)}.ratio-mismatch,.guardrail-breached,.guardrail-dropped{color:var(--bad)}\
        .badge{margin-left:.4em;padding:0 .4em;font-size:.8em;border:1px solid var(--bad);color:var(--bad);border-radius:.4em}\
        .swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:1px solid #0006;vertical-align:-1px}\
        td.interval{white-space:nowrap}svg.bar{vertical-align:middle;margin-right:.4em}.axis-line{stroke:#999;stroke-width:1}\
        figure{margin:1em 0;overflow-x:auto}figcaption{color:var(--muted);font-size:.9em}\
        svg.chart{width:100%;height:auto;max-width:760px;display:block;font:11px system-ui,"DejaVu Sans",sans-serif}\
        .grid{stroke:#e3e3e3}.axis{fill:#555}.line{fill:none;stroke-width:2}.band{opacity:.16}.area{opacity:.85;stroke:#fff;stroke-width:.5}\
        .end-label{font-weight:600;fill:#1b1b1b}.mark line{stroke:#333;stroke-dasharray:3 3}.mark text{fill:#333;font-weight:700}\
        .mark .hit{fill:transparent}.override{fill:#333;fill-opacity:.3;stroke:#333;stroke-dasharray:2 2}.mark:hover line,.mark:focus line{stroke:#000;stroke-width:2}.mark:focus{outline:2px solid #0b5cad}tr:target{background:#fff3bf}.tick line{stroke:#777}\
        details{margin:.6em 0}summary{cursor:pointer;color:#0b5cad}\
        td.text,.list td,.list th{text-align:left}.health-ok{color:#006b3c}.health-warn{color:var(--warn)}\
        @media (max-width:640px){body{font-size:14px;padding:8px}th,td{padding:.2em .35em}svg.bar{width:90px}svg.chart{min-width:620px}}
        """)
}
