import ArmoryCore
import Foundation

// Armory's benchmarks: `swift run -c release --scratch-path .build-release armory-bench`.
// Each line prints a figure, the target it is held to, and (where one exists) a baseline
// measured in the same run. Figures go to BENCHMARKS.md.

#if DEBUG
print("warning: this is a debug build; figures mean nothing. Use: swift run -c release --scratch-path .build-release armory-bench")
#endif
print("Armory benchmarks, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Date())")
print("")

benchmarkAssignment()
benchmarkSampling()
benchmarkProbabilityBest()
benchmarkSimulation()
print("")
print("(sink \(sink))")
