/// A sparse matrix of confidences in compressed rows: for each row (a user, or a movie), the
/// columns it has and their confidence `1 + alpha × r`, where `r` counts the row's views and
/// likes of the column (a like weighing `likeWeight` views). Hu, Koren and Volinsky's c_ui;
/// the unobserved cells have confidence 1 and preference 0, and are never stored.
struct ConfidenceMatrix: Sendable {
    /// Where each row's entries start in ``columns`` and ``confidences``; `rows + 1` long.
    var rowStarts: [Int]
    var columns: [Int32]
    var confidences: [Float]

    var rowCount: Int { rowStarts.count - 1 }

    /// The matrix of `rows` rows from `(row, column, weight)` entries, repeated cells summed.
    init(rows: Int, entries: [(row: Int32, column: Int32, weight: Float)], alpha: Float) {
        var counts = [Int](repeating: 0, count: rows + 1)
        for entry in entries { counts[Int(entry.row) + 1] += 1 }
        for row in 0..<rows { counts[row + 1] += counts[row] }
        var next = counts
        var columns = [Int32](repeating: 0, count: entries.count)
        var weights = [Float](repeating: 0, count: entries.count)
        for entry in entries {
            let slot = next[Int(entry.row)]
            columns[slot] = entry.column
            weights[slot] = entry.weight
            next[Int(entry.row)] += 1
        }
        // Sort each row by column and sum repeats.
        var starts = [0]
        var mergedColumns: [Int32] = []
        var mergedConfidences: [Float] = []
        mergedColumns.reserveCapacity(entries.count)
        mergedConfidences.reserveCapacity(entries.count)
        for row in 0..<rows {
            let cells = (counts[row]..<counts[row + 1]).map { (columns[$0], weights[$0]) }.sorted { $0.0 < $1.0 }
            var index = 0
            while index < cells.count {
                var total: Float = 0
                let column = cells[index].0
                while index < cells.count, cells[index].0 == column {
                    total += cells[index].1
                    index += 1
                }
                mergedColumns.append(column)
                mergedConfidences.append(1 + alpha * total)
            }
            starts.append(mergedColumns.count)
        }
        rowStarts = starts
        self.columns = mergedColumns
        confidences = mergedConfidences
    }

    private init(rowStarts: [Int], columns: [Int32], confidences: [Float]) {
        self.rowStarts = rowStarts
        self.columns = columns
        self.confidences = confidences
    }

    /// The same cells with rows and columns swapped, for `columnCount` columns.
    func transposed(columnCount: Int) -> ConfidenceMatrix {
        var starts = [Int](repeating: 0, count: columnCount + 1)
        for column in columns { starts[Int(column) + 1] += 1 }
        for column in 0..<columnCount { starts[column + 1] += starts[column] }
        var next = starts
        var rows = [Int32](repeating: 0, count: columns.count)
        var values = [Float](repeating: 0, count: columns.count)
        for row in 0..<rowCount {
            for slot in rowStarts[row]..<rowStarts[row + 1] {
                let column = Int(columns[slot])
                rows[next[column]] = Int32(row)
                values[next[column]] = confidences[slot]
                next[column] += 1
            }
        }
        return ConfidenceMatrix(rowStarts: starts, columns: rows, confidences: values)
    }
}
