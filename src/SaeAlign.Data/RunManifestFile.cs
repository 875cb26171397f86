namespace SaeAlign.Data;

/// <summary>A committed run folder's manifest as read back, with the SHA-256 (hex) of each file by relative path.</summary>
public sealed record RunManifestFile(RunManifest Manifest, IReadOnlyDictionary<string, string> Files);
