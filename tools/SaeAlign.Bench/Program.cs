using BenchmarkDotNet.Running;
using SaeAlign.Bench;

// The pipeline's stage timings and the single-shot alignment suites run for minutes once, so they bypass
// BenchmarkDotNet; everything else is BDN.
if (args.Length > 0 && args[0] == PipelineStages.Command) return PipelineStages.Run(args[1..]);
if (args.Length > 0 && args[0] == AlignmentMemory.Command) return AlignmentMemory.Run(args[1..]);
if (args.Length > 0 && args[0] == AlignmentSuite.Command) return AlignmentSuite.Run(args[1..]);
if (args.Length > 0 && args[0] == WideReplay.Command) return WideReplay.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
