using SaeAlign.Tool;

return await SaeAlignCli.RunAsync(args, Console.Out, Console.Error);
