import {
  deleteAlarmsInput,
  describeAlarmsInput,
  getMetricDataInput,
  getMetricStatisticsInput,
  listMetricsInput,
  putMetricAlarmInput,
  putMetricDataInput,
} from '../../domain/cloudwatch';
import { InvalidParameterException, type DomainError } from '../../errors';
import { render, type Shape } from '../../http/present';
import { deleteAlarms, describeAlarms, getMetricData, getMetricStatistics, listMetrics, putMetricAlarm, putMetricData } from '../../usecases/cloudwatch';
import { operation, type ProtocolTable, type WireOperation } from '../operation';
import { decodeQuery } from '../query';

const refusal = InvalidParameterException;

/** Every CloudWatch operation ecsbox serves, by the name after "GraniteServiceVersion20100801." (or `Action=`). */
const operations: Record<string, WireOperation<any>> = {
  GetMetricStatistics: operation(getMetricStatisticsInput, getMetricStatistics, refusal),
  GetMetricData: operation(getMetricDataInput, getMetricData, refusal),
  ListMetrics: operation(listMetricsInput, listMetrics, refusal),
  PutMetricData: operation(putMetricDataInput, putMetricData, refusal),
  PutMetricAlarm: operation(putMetricAlarmInput, putMetricAlarm, refusal),
  DescribeAlarms: operation(describeAlarmsInput, describeAlarms, refusal),
  DeleteAlarms: operation(deleteAlarmsInput, deleteAlarms, refusal),
};

const outputShape: Shape = {
  Datapoints: { Timestamp: 'timestamp' },
  MetricDataResults: { Timestamps: 'timestamp' },
  MetricAlarms: { StateUpdatedTimestamp: 'timestamp', AlarmConfigurationUpdatedTimestamp: 'timestamp' },
};

/**
 * CloudWatch's error shapes (AWS JSON's __type) and, for the query protocol and the
 * x-amzn-query-error header, their query codes.
 */
const QUERY_CODES: Record<string, string> = {
  InvalidParameterValueException: 'InvalidParameterValue',
  ResourceNotFound: 'ResourceNotFound',
  InternalServiceFault: 'InternalServiceError',
  UnknownOperationException: 'InvalidAction',
  ThrottlingException: 'Throttling',
};

const errorName = (error: DomainError): string => {
  if (error.name === 'UnknownOperationException') return error.name;
  if (error.kind === 'not-found') return 'ResourceNotFound';
  if (error.kind === 'unavailable') return 'InternalServiceFault';
  if (error.kind === 'throttled') return 'ThrottlingException';
  return 'InvalidParameterValueException';
};

/**
 * CloudWatch's protocols: AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`, what
 * @aws-sdk/client-cloudwatch sends, query-compatible errors) and the query protocol (form-encoded
 * `Action=<Op>&Version=2010-08-01`, XML answers, what the AWS CLI v2 sends). Timestamps are epoch
 * seconds in JSON and ISO 8601 in XML.
 */
export const cloudWatchProtocol: ProtocolTable = {
  targetPrefix: 'GraniteServiceVersion20100801.',
  jsonVersion: '1.0',
  operations,
  present: (output, format) =>
    render(output, outputShape, format === 'json' ? (ms) => ms / 1000 : (ms) => new Date(ms).toISOString()),
  errorName,
  queryCodes: QUERY_CODES,
  query: { version: '2010-08-01', xmlNamespace: 'http://monitoring.amazonaws.com/doc/2010-08-01/', decode: decodeQuery },
};
