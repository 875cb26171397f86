using SaeAlign.Core;

namespace SaeAlign.Data.Tests;

public sealed class SafetensorsTests : TempFolderTest
{
    [TestCase("header length", 1_000_000_000UL, "{}")]
    [TestCase("not valid JSON", 8UL, "{\"W_enc\"")]
    public void MalformedSafetensorsHeaderIsBadInput(string problem, ulong length, string header)
    {
        var path = PathOf("bad.safetensors");
        var bytes = BitConverter.GetBytes(length).Concat(System.Text.Encoding.UTF8.GetBytes(header.PadRight(8))).ToArray();
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidInputException>(() => Safetensors.Read(path));
        Assert.That(error!.Message, Does.Contain(problem).And.Contain(path));
    }

    [Test]
    public void OffsetsThatDoNotMatchTheShapeAreBadInput()
    {
        var path = PathOf("bad.safetensors");
        var header = System.Text.Encoding.UTF8.GetBytes("{\"W\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,8]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]]);
        var error = Assert.Throws<InvalidInputException>(() => Safetensors.Read(path));
        Assert.That(error!.Message, Does.Contain("'W'").And.Contain("16 bytes"));
    }
}
