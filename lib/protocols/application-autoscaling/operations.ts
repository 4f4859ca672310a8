import { render, type Shape } from '../../http/present';
import { ValidationException, type DomainError } from '../../errors';
import {
  deleteScalingPolicy,
  deleteScalingPolicyInput,
  deleteScheduledAction,
  deleteScheduledActionInput,
  deregisterScalableTarget,
  describeScalableTargets,
  describeScalableTargetsInput,
  describeScalingActivities,
  describeScalingActivitiesInput,
  describeScalingPolicies,
  describeScalingPoliciesInput,
  describeScheduledActions,
  describeScheduledActionsInput,
  listTagsForResource,
  listTagsForResourceInput,
  putScalingPolicy,
  putScalingPolicyInput,
  putScheduledAction,
  putScheduledActionInput,
  registerScalableTarget,
  registerScalableTargetInput,
  tagResource,
  tagResourceInput,
  targetInput,
  untagResource,
  untagResourceInput,
} from '../../usecases/scaling';
import { operation, type ProtocolTable, type WireOperation } from '../operation';

const refusal = ValidationException;

/** Every Application Auto Scaling operation, by the name after "AnyScaleFrontendService." in X-Amz-Target. */
const operations: Record<string, WireOperation<any>> = {
  RegisterScalableTarget: operation(registerScalableTargetInput, registerScalableTarget, refusal),
  DeregisterScalableTarget: operation(targetInput, deregisterScalableTarget, refusal),
  DescribeScalableTargets: operation(describeScalableTargetsInput, describeScalableTargets, refusal),
  PutScalingPolicy: operation(putScalingPolicyInput, putScalingPolicy, refusal),
  DescribeScalingPolicies: operation(describeScalingPoliciesInput, describeScalingPolicies, refusal),
  DeleteScalingPolicy: operation(deleteScalingPolicyInput, deleteScalingPolicy, refusal),
  PutScheduledAction: operation(putScheduledActionInput, putScheduledAction, refusal),
  DescribeScheduledActions: operation(describeScheduledActionsInput, describeScheduledActions, refusal),
  DeleteScheduledAction: operation(deleteScheduledActionInput, deleteScheduledAction, refusal),
  DescribeScalingActivities: operation(describeScalingActivitiesInput, describeScalingActivities, refusal),
  TagResource: operation(tagResourceInput, tagResource, refusal),
  UntagResource: operation(untagResourceInput, untagResource, refusal),
  ListTagsForResource: operation(listTagsForResourceInput, listTagsForResource, refusal),
};

/** Where the timestamps are in its answers (a user's tag named "CreationTime" stays as it is). */
const outputShape: Shape = {
  ScalableTargets: { CreationTime: 'timestamp' },
  ScalingPolicies: { CreationTime: 'timestamp' },
  ScheduledActions: { CreationTime: 'timestamp', StartTime: 'timestamp', EndTime: 'timestamp' },
  ScalingActivities: { StartTime: 'timestamp', EndTime: 'timestamp' },
};

/**
 * Application Auto Scaling's own error names: ECS's refusals (of a body that is no JSON object, of
 * a cluster or service that does not exist) are its ValidationException; a lost race its
 * ConcurrentUpdateException; an unknown outcome its InternalServiceException.
 */
const errorName = (error: DomainError): string => {
  if (error.name === 'ObjectNotFoundException' || error.name === 'ResourceNotFoundException' || error.name === 'UnknownOperationException') return error.name;
  if (error.kind === 'conflict') return 'ConcurrentUpdateException';
  if (error.kind === 'unavailable') return 'InternalServiceException';
  if (error.kind === 'throttled') return 'ThrottlingException';
  return 'ValidationException';
};

/** Application Auto Scaling's protocol: AWS JSON 1.1, `X-Amz-Target: AnyScaleFrontendService.<Op>`. */
export const applicationAutoScalingProtocol: ProtocolTable = {
  targetPrefix: 'AnyScaleFrontendService.',
  jsonVersion: '1.1',
  operations,
  present: (output) => render(output, outputShape, (ms) => ms / 1000),
  errorName,
};
