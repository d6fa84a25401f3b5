export { runCommand } from './run-command';
export type { CommandResult, RunCommandOptions } from './run-command';
export { S3FaultProxy, SLOW_DOWN, INTERNAL_ERROR } from './s3-fault-proxy';
export type { Fault, FaultRule, InjectedFault, ProxiedRequest, S3FaultProxyOptions } from './s3-fault-proxy';
export { parseS3Request } from './s3-request';
export type { S3Operation, S3Request } from './s3-request';
