/// Finds YAML anchors (`&name`) before the document is composed.
///
/// Experiment files do not support anchors and aliases: an alias used as a mapping key makes
/// the YAML library hash the aliased tree, and nine nested aliases of ten make that 10^9 nodes
/// (a "billion laughs"), which would hang a validating CI job or a reloading server. An alias
/// needs an anchor, so refusing anchors refuses every alias; an alias without one is a syntax
/// error the parser reports at once.
///
/// The scan is textual: it skips comments and quoted scalars and looks for `&` where a node may
/// begin (at the start of a line, after `:`, `-`, `?`, `[`, `{` or `,`), which is the only place
/// YAML reads it as an anchor. `Tom & Jerry` in a plain scalar is text, not an anchor.
enum AnchorScanner {
    /// The 1-based line and column (in Unicode scalars) of the first anchor, if any.
    static func firstAnchor(in text: String) -> (line: Int, column: Int)? {
        var line = 1
        var column = 0
        var quote: Unicode.Scalar?
        var previousNonSpace: Unicode.Scalar?
        var previous: Unicode.Scalar?
        var inComment = false
        var scalars = text.unicodeScalars.makeIterator()
        var lookahead = scalars.next()
        while let scalar = lookahead {
            lookahead = scalars.next()
            column += 1
            defer {
                previous = scalar
                if scalar != " " && scalar != "\t" { previousNonSpace = scalar }
            }
            if scalar == "\n" {
                line += 1
                column = 0
                inComment = false
                previousNonSpace = nil
                if quote == nil { previous = nil }
                continue
            }
            if inComment { continue }
            if let open = quote {
                if scalar == "\\" && open == "\"" {
                    lookahead = scalars.next()  // skip the escaped character
                    column += 1
                } else if scalar == open {
                    if open == "'" && lookahead == "'" {
                        lookahead = scalars.next()  // '' is an escaped quote
                        column += 1
                    } else {
                        quote = nil
                    }
                }
                continue
            }
            let isAfterSpace = previous == nil || previous == " " || previous == "\t"
            if scalar == "#" && isAfterSpace {
                inComment = true
                continue
            }
            let nodeMayBegin = previousNonSpace == nil || ":-?[{,".unicodeScalars.contains(previousNonSpace!)
            let isTokenStart = isAfterSpace || previous.map { "[{,".unicodeScalars.contains($0) } == true
            guard nodeMayBegin && isTokenStart else { continue }
            if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == "&", let next = lookahead, next != " ", next != "\t", next != "\n" {
                return (line, column)
            }
        }
        return nil
    }
}
