namespace SaeAlign.Kernels;
