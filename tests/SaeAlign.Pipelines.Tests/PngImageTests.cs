using SaeAlign.Testing;
using SkiaSharp;

namespace SaeAlign.Pipelines.Tests;

/// <summary>The figure check itself, on images written by the encoder the plots use (SkiaSharp, under ScottPlot).</summary>
public class PngImageTests
{
    private static PngImage.Summary WriteAndRead(SKBitmap bitmap)
    {
        string path = Path.Combine(Path.GetTempPath(), $"saealign-png-{Guid.NewGuid():N}.png");
        try
        {
            using (var file = File.Create(path)) bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
            return PngImage.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ABlankCanvasHasOneColourAndOneDotMakesTwo()
    {
        // Filtered rows of a blank canvas hold several byte values (filter types, a row's first pixel under Sub):
        // counting colours after unfiltering is what makes blank read as blank.
        using var bitmap = new SKBitmap(37, 23);
        bitmap.Erase(new SKColor(250, 250, 250));
        Assert.That(WriteAndRead(bitmap), Is.EqualTo(new PngImage.Summary(37, 23, 1)));
        bitmap.SetPixel(11, 7, new SKColor(20, 90, 200));
        Assert.That(WriteAndRead(bitmap), Is.EqualTo(new PngImage.Summary(37, 23, 2)));
    }
}
