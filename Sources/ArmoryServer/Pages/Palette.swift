/// The arms' colours and line styles. The first eight are Okabe and Ito's palette, chosen to stay
/// apart for the common kinds of colour blindness; past eight, Paul Tol's wine and a grey. Colour
/// is never the only cue: lines also differ in dash pattern, every series is labelled, and every
/// chart has its data as a table.
enum Palette {
    static let colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#882255", "#999999"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3", "12 4"]

    static func colour(_ index: Int) -> String { colours[index % colours.count] }
    static func dash(_ index: Int) -> String { dashes[index % dashes.count] }
}
