using SaeAlign.Core;
using SaeAlign.Tool;

using var signals = new TerminationSignals();
int code = await SaeAlignCli.RunAsync(args, Console.Out, Console.Error, signals.Token);
return code == ExitCodes.Interrupted ? signals.ExitCode : code;
