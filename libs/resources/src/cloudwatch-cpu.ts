import { CPU_UNITS_PER_VCPU } from './cgroup-limits';

/**
 * CloudWatch's ECS service `CPUUtilization`: CPU units used ÷ CPU units reserved × 100.
 * Against a 4-unit reservation, 0.36 vCPU of real use reads ≈ 9,100 %; only a hard quota
 * would keep it near 100 %.
 */
export function cloudWatchCpuUtilization(cpuSeconds: number, wallSeconds: number, reservedUnits: number): number {
  if (wallSeconds <= 0 || reservedUnits <= 0) return 0;
  const unitsUsed = (cpuSeconds / wallSeconds) * CPU_UNITS_PER_VCPU;
  return (unitsUsed / reservedUnits) * 100;
}
