import { randomUUID } from 'node:crypto';
import { errorBody, type ErrorAnswer } from '../http/error-mapping';
import type { HttpResult } from '../http/middleware';
import type { ProtocolTable } from './operation';

/**
 * How one request is answered on the wire: AWS JSON (1.0 or 1.1) or the query protocol's XML.
 * Each format has its one renderer of results and its one renderer of errors.
 */
export interface WireFormat {
  result(output: object): HttpResult;
  error(answer: ErrorAnswer): HttpResult;
}

const queryCode = (table: ProtocolTable, answer: ErrorAnswer) => table.queryCodes?.[answer.type] ?? answer.type;
const faultOf = (answer: ErrorAnswer) => (answer.statusCode < 500 ? 'Sender' : 'Receiver');

const retryAfter = (answer: ErrorAnswer): Record<string, string> =>
  answer.retryAfterSeconds ? { 'Retry-After': String(answer.retryAfterSeconds) } : {};

export const jsonFormat = (table: ProtocolTable): WireFormat => {
  const contentType = `application/x-amz-json-${table.jsonVersion}`;
  return {
    result: (output) => ({ statusCode: 200, headers: { 'Content-Type': contentType }, body: JSON.stringify(table.present(output, 'json')) }),
    error: (answer) => ({
      statusCode: answer.statusCode,
      headers: {
        'Content-Type': contentType,
        'x-amzn-ErrorType': answer.type,
        // "Code;Sender|Receiver": what the query protocol called the error, read by awsQueryCompatible SDKs.
        ...(table.queryCodes ? { 'x-amzn-query-error': `${queryCode(table, answer)};${faultOf(answer)}` } : {}),
        ...retryAfter(answer),
      },
      body: errorBody(answer),
    }),
  };
};

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (character) => XML_ESCAPES[character]);

/** The query protocol's XML: a list's entries are `<member>` elements, a structure's members are elements by name. */
export const toXml = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((entry) => `<member>${toXml(entry)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined && member !== null)
      .map(([name, member]) => `<${name}>${toXml(member)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
};

const XML_HEADERS = { 'Content-Type': 'text/xml' };

/** The query protocol (form-encoded `Action=`), which the AWS CLI v2 still speaks for CloudWatch. */
export const queryFormat = (table: ProtocolTable, action: string): WireFormat => {
  const namespace = table.query?.xmlNamespace ?? '';
  const metadata = () => `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`;
  return {
    result: (output) => {
      const members = toXml(table.present(output, 'query'));
      const result = members ? `<${action}Result>${members}</${action}Result>` : '';
      return {
        statusCode: 200,
        headers: XML_HEADERS,
        body: `<${action}Response xmlns="${namespace}">${result}${metadata()}</${action}Response>`,
      };
    },
    error: (answer) => ({
      statusCode: answer.statusCode,
      headers: { ...XML_HEADERS, ...retryAfter(answer) },
      body:
        `<ErrorResponse xmlns="${namespace}"><Error><Type>${faultOf(answer)}</Type>` +
        `<Code>${escapeXml(queryCode(table, answer))}</Code><Message>${escapeXml(answer.message)}</Message></Error>` +
        `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    }),
  };
};
