using SaeAlign.Core;
using SaeAlign.Pipelines;
using Spectre.Console;

namespace SaeAlign.Tool.Commands;

/// <summary>One progress bar per pipeline stage on stderr (name, bar, elapsed, ETA), or none with --quiet.</summary>
internal static class StageProgress
{
    public static T Run<T>(CliConsole console, CommonSettings settings, Func<IProgress<PipelineProgress>?, T> work)
    {
        if (settings.Quiet) return work(null);
        return console.Progress.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                // Seeds run concurrently, so reports arrive from several threads.
                var progress = new ProgressCallback<PipelineProgress>(p =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                            tasks[p.Stage] = task = context.AddTask(Markup.Escape(p.Stage), maxValue: 1);
                        task.Value = p.Fraction;
                        if (p.Skipped) task.Description = Markup.Escape($"{p.Stage} (reused)");
                    }
                });
                return work(progress);
            });
    }
}
