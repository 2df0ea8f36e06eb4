/// The arms' colours and line styles. The first eight are Okabe and Ito's palette, chosen to stay
/// apart for the common kinds of colour blindness; past eight, Paul Tol's wine and a grey. Colour
/// is never the only cue: lines also differ in dash pattern, every series is labelled, and every
/// chart has its data as a table. Past ten arms, colours and patterns repeat (at an offset, so
/// arm 10 does not match arm 0 in both).
enum Palette {
    static let colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#882255", "#999999"]
    /// Ten patterns, one per colour, so the first ten arms differ in both.
    static let dashes = ["", "6 3", "2 3", "8 3 2 3", "12 4", "4 4", "1 2", "10 2 2 2 2 2", "6 2 1 2", "14 3 4 3"]

    static func colour(_ index: Int) -> String { colours[index % colours.count] }
    static func dash(_ index: Int) -> String { dashes[(index + index / dashes.count) % dashes.count] }
}
