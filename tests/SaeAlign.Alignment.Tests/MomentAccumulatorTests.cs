using SaeAlign.Alignment;

namespace SaeAlign.Alignment.Tests;

/// <summary>The streamed moments against sums over the rows in float64, across several row blocks and sub-blocks.</summary>
public class MomentAccumulatorTests
{
    [Test]
    public void MomentsOfEveryBucketEqualDirectSumsOverItsRows()
    {
        const int rows = 10_000, a = 5, b = 3, buckets = 3;
        var x = TestData.Gaussian(rows, a, 11);
        var y = TestData.Related(x, b, 0.5, 12);
        var bucketOf = Enumerable.Range(0, rows).Select(r => (byte)(r * 7 % buckets)).ToArray();
        using var accumulator = new MomentAccumulator(a, b, buckets, MomentNeeds.All);
        // Uneven blocks, each spanning several of the accumulator's sub-blocks.
        foreach (var (first, count) in new[] { (0, 9_000), (9_000, 1), (9_001, 999) })
            accumulator.Add(x.Values[(first * a)..((first + count) * a)], y.Values[(first * b)..((first + count) * b)], count, bucketOf.AsSpan(first, count));

        var shiftX = accumulator.ShiftX;
        var shiftY = accumulator.ShiftY;
        var moments = accumulator.Moments();
        for (int k = 0; k < buckets; k++)
        {
            var members = Enumerable.Range(0, rows).Where(r => bucketOf[r] == k).ToArray();
            Assert.That(moments[k].Count, Is.EqualTo(members.Length));
            for (int i = 0; i < a; i++)
            {
                Assert.That(moments[k].SumX[i], Is.EqualTo(members.Sum(r => x[r, i] - shiftX[i])).Within(1e-9));
                Assert.That(moments[k].SquaresX[i], Is.EqualTo(members.Sum(r => Math.Pow(x[r, i] - shiftX[i], 2))).Within(1e-9));
                for (int j = 0; j < b; j++)
                    Assert.That(moments[k].Xy[i, j], Is.EqualTo(members.Sum(r => (x[r, i] - shiftX[i]) * (y[r, j] - shiftY[j]))).Within(1e-9));
                for (int j = 0; j < a; j++)
                    Assert.That(moments[k].Xx![i, j], Is.EqualTo(members.Sum(r => (x[r, i] - shiftX[i]) * (x[r, j] - shiftX[j]))).Within(1e-9));
            }
        }
    }

    [Test]
    public void OnCudaTheMomentsEqualTheCpusInFloat64()
    {
        if (!TorchSharp.torch.cuda.is_available()) Assert.Ignore("No CUDA in this build or on this machine (the CPU-only TorchSharp backend): skipped, not failed.");
        const int rows = 5_000, a = 7, b = 4, buckets = 2;
        var x = TestData.Gaussian(rows, a, 21);
        var y = TestData.Related(x, b, 0.5, 22);
        var bucketOf = Enumerable.Range(0, rows).Select(r => (byte)(r % buckets)).ToArray();
        PairMoments[] On(TorchSharp.torch.Device? device)
        {
            using var accumulator = new MomentAccumulator(a, b, buckets, MomentNeeds.All, device);
            accumulator.Add(x.Values, y.Values, rows, bucketOf);
            return accumulator.Moments();
        }
        var cpu = On(null);
        var gpu = On(TorchSharp.torch.CUDA);
        for (int k = 0; k < buckets; k++)
        {
            Assert.That(gpu[k].Count, Is.EqualTo(cpu[k].Count));
            Assert.That(gpu[k].SumX, Is.EqualTo(cpu[k].SumX).Within(1e-9));
            for (int i = 0; i < a; i++)
                for (int j = 0; j < b; j++)
                    Assert.That(gpu[k].Xy[i, j], Is.EqualTo(cpu[k].Xy[i, j]).Within(1e-9));
        }
    }
}
