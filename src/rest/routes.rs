//! The route table: method + path pattern → logic [`Operation`], built once from the
//! kinds, so every target kind gets the same routes under its own plural.

use std::sync::LazyLock;

use crate::graph::{MemberType, TargetKind};
use crate::logic::{
    CommonOp, GroupOp, HandleServiceOp, HarvesterOp, Operation, OzOp, SpaceOp, UserOp, UserRef,
    is_supported,
};

/// The methods of Onezone's REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    /// Whether Onezone reads a body for this method (create and update).
    pub(crate) fn has_body(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }
}

type Build = Box<dyn Fn(&[String]) -> Operation + Send + Sync>;

/// One row of the route table.
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path pattern, e.g. `/groups/{id}/users/{uid}/privileges`.
    pub pattern: String,
    segments: Vec<Option<String>>,
    pub(crate) build: Build,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.pattern)
    }
}

impl Route {
    pub(crate) fn matches(&self, segments: &[String]) -> Option<Vec<String>> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (pattern, segment) in self.segments.iter().zip(segments) {
            match pattern {
                Some(literal) if literal == segment => {}
                Some(_) => return None,
                None => params.push(segment.clone()),
            }
        }
        Some(params)
    }
}

#[derive(Default)]
pub(crate) struct Table(pub(crate) Vec<Route>);

impl Table {
    /// Adds a route unless the logic layer does not serve its operation.
    fn add(
        &mut self,
        method: Method,
        pattern: &str,
        build: impl Fn(&[String]) -> Operation + Send + Sync + 'static,
    ) {
        let params = pattern.matches('{').count();
        let probe: Vec<String> = (0..params).map(|i| format!("probe{i}")).collect();
        if !is_supported(&build(&probe)) {
            return;
        }
        let segments = pattern
            .split('/')
            .skip(1)
            .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
            .collect();
        self.0.push(Route {
            method,
            pattern: pattern.to_owned(),
            segments,
            build: Box::new(build),
        });
    }
}

fn p(params: &[String], i: usize) -> String {
    params.get(i).cloned().unwrap_or_default()
}

/// Every route, built once from the kinds: the shared routes of each target kind, then
/// the kind-specific ones. Literal routes that could also match a pattern with an id
/// (`/groups/privileges`) come first.
fn build_table() -> Table {
    use Method::*;
    let mut t = Table::default();
    for kind in TargetKind::ALL {
        let base = format!("/{}", kind.info().plural);
        let c = move |op: CommonOp| Operation::from_common(kind, op);
        t.add(Get, &format!("{base}/privileges"), move |_| {
            c(CommonOp::Presets)
        });
        t.add(Get, &base, move |_| c(CommonOp::ListAll));
        t.add(Post, &base, move |_| c(CommonOp::Create));
        t.add(Delete, &format!("{base}/{{id}}"), move |a| {
            c(CommonOp::Delete { id: p(a, 0) })
        });
        let groups = if kind == TargetKind::Group {
            ("children", "effective_children")
        } else {
            ("groups", "effective_groups")
        };
        for (member, (direct, effective)) in [
            (MemberType::User, ("users", "effective_users")),
            (MemberType::Group, groups),
        ] {
            t.add(Get, &format!("{base}/{{id}}/{direct}"), move |a| {
                c(CommonOp::ListMembers {
                    id: p(a, 0),
                    member,
                    effective: false,
                })
            });
            t.add(Get, &format!("{base}/{{id}}/{effective}"), move |a| {
                c(CommonOp::ListMembers {
                    id: p(a, 0),
                    member,
                    effective: true,
                })
            });
            let one = format!("{base}/{{id}}/{direct}/{{mid}}");
            t.add(Put, &one, move |a| {
                c(CommonOp::AddMember {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            t.add(Delete, &one, move |a| {
                c(CommonOp::RemoveMember {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            let privileges = format!("{one}/privileges");
            t.add(Get, &privileges, move |a| {
                c(CommonOp::MemberPrivileges {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                    effective: false,
                })
            });
            t.add(Patch, &privileges, move |a| {
                c(CommonOp::UpdateMemberPrivileges {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            t.add(Put, &privileges, move |a| {
                c(CommonOp::SetMemberPrivileges {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            t.add(
                Get,
                &format!("{base}/{{id}}/{effective}/{{mid}}/privileges"),
                move |a| {
                    c(CommonOp::MemberPrivileges {
                        id: p(a, 0),
                        member,
                        member_id: p(a, 1),
                        effective: true,
                    })
                },
            );
            t.add(
                Get,
                &format!("{base}/{{id}}/{effective}/{{mid}}/membership"),
                move |a| {
                    c(CommonOp::Membership {
                        id: p(a, 0),
                        member,
                        member_id: p(a, 1),
                    })
                },
            );
        }
        t.add(Post, &format!("{base}/{{id}}/{}", groups.0), move |a| {
            c(CommonOp::CreateGroup { id: p(a, 0) })
        });
    }
    group_routes(&mut t);
    user_routes(&mut t);
    resource_routes(&mut t);
    t
}

fn group_routes(t: &mut Table) {
    use Method::*;
    let g = Operation::Group;
    t.add(Get, "/groups/{id}/parents", move |a| {
        g(GroupOp::ListParents {
            id: p(a, 0),
            effective: false,
        })
    });
    t.add(Get, "/groups/{id}/effective_parents", move |a| {
        g(GroupOp::ListParents {
            id: p(a, 0),
            effective: true,
        })
    });
    t.add(Delete, "/groups/{id}/parents/{pid}", move |a| {
        g(GroupOp::LeaveParent {
            id: p(a, 0),
            parent_id: p(a, 1),
        })
    });
    t.add(Post, "/groups/{id}/parents", move |a| {
        g(GroupOp::CreateParent { id: p(a, 0) })
    });
    for (method, op) in [
        (Get, OzOp::Get),
        (Patch, OzOp::Update),
        (Delete, OzOp::Delete),
    ] {
        t.add(method, "/groups/{id}/privileges", move |a| {
            g(GroupOp::Oz { id: p(a, 0), op })
        });
    }
    t.add(Get, "/groups/{id}/effective_privileges", move |a| {
        g(GroupOp::Oz {
            id: p(a, 0),
            op: OzOp::GetEffective,
        })
    });
    for kind in TargetKind::ALL
        .into_iter()
        .filter(|k| *k != TargetKind::Group)
    {
        let key = kind.info().plural;
        t.add(Get, &format!("/groups/{{id}}/{key}"), move |a| {
            g(GroupOp::ListMemberships {
                id: p(a, 0),
                kind,
                effective: false,
            })
        });
        t.add(Get, &format!("/groups/{{id}}/effective_{key}"), move |a| {
            g(GroupOp::ListMemberships {
                id: p(a, 0),
                kind,
                effective: true,
            })
        });
        t.add(Delete, &format!("/groups/{{id}}/{key}/{{tid}}"), move |a| {
            g(GroupOp::Leave {
                id: p(a, 0),
                kind,
                target_id: p(a, 1),
            })
        });
        t.add(Post, &format!("/groups/{{id}}/{key}"), move |a| {
            g(GroupOp::CreateAs { id: p(a, 0), kind })
        });
    }
}

fn user_routes(t: &mut Table) {
    use Method::*;
    let u = Operation::User;
    t.add(Get, "/privileges", |_| Operation::OzPresets);
    for (method, op) in [
        (Get, OzOp::Get),
        (Patch, OzOp::Update),
        (Delete, OzOp::Delete),
    ] {
        t.add(method, "/user/privileges", move |_| {
            u(UserOp::Oz {
                user: UserRef::Client,
                op,
            })
        });
        t.add(method, "/users/{id}/privileges", move |a| {
            u(UserOp::Oz {
                user: UserRef::Id(p(a, 0)),
                op,
            })
        });
    }
    t.add(Get, "/user/effective_privileges", move |_| {
        u(UserOp::Oz {
            user: UserRef::Client,
            op: OzOp::GetEffective,
        })
    });
    t.add(Get, "/users/{id}/effective_privileges", move |a| {
        u(UserOp::Oz {
            user: UserRef::Id(p(a, 0)),
            op: OzOp::GetEffective,
        })
    });
    t.add(Delete, "/user", move |_| {
        u(UserOp::Delete {
            user: UserRef::Client,
        })
    });
    t.add(Delete, "/users/{id}", move |a| {
        u(UserOp::Delete {
            user: UserRef::Id(p(a, 0)),
        })
    });
    for kind in TargetKind::ALL {
        let key = kind.info().plural;
        t.add(Get, &format!("/user/{key}"), move |_| {
            u(UserOp::ListMemberships {
                kind,
                effective: false,
            })
        });
        t.add(Get, &format!("/user/effective_{key}"), move |_| {
            u(UserOp::ListMemberships {
                kind,
                effective: true,
            })
        });
        t.add(Delete, &format!("/user/{key}/{{id}}"), move |a| {
            u(UserOp::Leave {
                kind,
                target_id: p(a, 0),
            })
        });
        t.add(Post, &format!("/user/{key}"), move |_| {
            u(UserOp::CreateAs { kind })
        });
    }
}

fn resource_routes(t: &mut Table) {
    use Method::*;
    let s = Operation::Space;
    t.add(Get, "/spaces/{id}/owners", move |a| {
        s(SpaceOp::ListOwners { id: p(a, 0) })
    });
    t.add(Put, "/spaces/{id}/owners/{uid}", move |a| {
        s(SpaceOp::AddOwner {
            id: p(a, 0),
            user_id: p(a, 1),
        })
    });
    t.add(Delete, "/spaces/{id}/owners/{uid}", move |a| {
        s(SpaceOp::RemoveOwner {
            id: p(a, 0),
            user_id: p(a, 1),
        })
    });
    t.add(Get, "/spaces/{id}/shares", move |a| {
        s(SpaceOp::ListShares { id: p(a, 0) })
    });
    t.add(Get, "/spaces/{id}/harvesters", move |a| {
        s(SpaceOp::ListHarvesters { id: p(a, 0) })
    });
    t.add(Delete, "/spaces/{id}/harvesters/{hid}", move |a| {
        s(SpaceOp::RemoveHarvester {
            id: p(a, 0),
            harvester_id: p(a, 1),
        })
    });
    t.add(Get, "/handle_services/{id}/handles", |a| {
        Operation::HandleService(HandleServiceOp::ListHandles { id: p(a, 0) })
    });
    let h = Operation::Harvester;
    t.add(Get, "/harvesters/{id}/spaces", move |a| {
        h(HarvesterOp::ListSpaces { id: p(a, 0) })
    });
    t.add(Put, "/harvesters/{id}/spaces/{sid}", move |a| {
        h(HarvesterOp::AddSpace {
            id: p(a, 0),
            space_id: p(a, 1),
        })
    });
    t.add(Delete, "/harvesters/{id}/spaces/{sid}", move |a| {
        h(HarvesterOp::RemoveSpace {
            id: p(a, 0),
            space_id: p(a, 1),
        })
    });
}

pub(crate) static ROUTES: LazyLock<Table> = LazyLock::new(build_table);

/// Every route served: method and pattern, in table order.
///
/// ```
/// let routes: Vec<_> = privgraph::rest::routes().collect();
/// assert!(routes.contains(&("PATCH", "/handle_services/{id}/groups/{mid}/privileges")));
/// ```
pub fn routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROUTES
        .0
        .iter()
        .map(|r| (r.method.as_str(), r.pattern.as_str()))
}
